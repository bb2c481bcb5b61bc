"""The nightly run as a scheduler starts it: inbox, out folder and time zone from the config
file, the as-of date today in that zone; `make nightly`, and the cron, systemd and Airflow
examples in deploy/, which retry only what can pass on a retry."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pipeline.paths import ROOT
from tests.test_ingest import write_sample_inbox

DEPLOY = ROOT / "deploy"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """A deployment's folder: its settings, and an inbox beside them."""
    folder = tmp_path_factory.mktemp("deployment")
    write_sample_inbox(folder / "exports", deals=50, extra=("targets.csv",))
    return folder


# UTC+14 and UTC-12: whatever the hour, one of them is on another date than UTC
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])
def test_a_cron_style_run_reports_as_of_today_in_the_configured_zone(deployment, zone):
    settings = deployment / f"{zone.replace('/', '-')}.yaml"
    out = f"out-{zone.replace('/', '-')}"
    settings.write_text(f"inbox: exports\nout: {out}\ntimezone: {zone}\nsettle_seconds: 0\n",
                        encoding="utf-8")
    before = datetime.now(ZoneInfo(zone)).date().isoformat()
    result = subprocess.run([sys.executable, "-m", "pipeline", "ingest", "--config",
                             str(settings)], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "TZ": "UTC"})
    after = datetime.now(ZoneInfo(zone)).date().isoformat()
    assert result.returncode == 0, result.stderr[-2000:]
    [record] = [json.loads(p.read_text(encoding="utf-8"))
                for p in (deployment / out / "runs").glob("*.json")]
    assert record["as_of"] in {before, after}
    assert record["inbox"] == str(deployment / "exports")
    assert {i["file_name"] for i in record["inputs"]} == {"org.csv", "targets.csv", "Deals.csv"}


def make(*args: str) -> subprocess.CompletedProcess:
    # -o: never (re)install the venv here; PY=echo: show the command instead of running it
    return subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed", *args,
                           "PY=echo"], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_make_nightly_runs_on_the_deployments_settings_not_the_samples(tmp_path):
    default = make("-n", "nightly")
    assert "echo -m pipeline run --config config/pipeline.yaml\n" in default.stdout
    settings = tmp_path / "pipeline.yaml"
    settings.write_text("inbox: /srv/crm-inbox\n", encoding="utf-8")
    result = make("nightly", f"NIGHTLY_CONFIG={settings}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"-m pipeline run --config {settings}"
    assert "--as-of" not in result.stdout and "data/sample" not in result.stdout


def test_make_nightly_refuses_settings_that_name_no_inbox(tmp_path):
    settings = tmp_path / "pipeline.yaml"
    settings.write_text("timezone: Asia/Shanghai\n", encoding="utf-8")
    result = make("nightly", f"NIGHTLY_CONFIG={settings}")
    assert result.returncode == 2
    assert f"{settings} names no inbox" in result.stdout
    assert "-m pipeline" not in result.stdout


@pytest.fixture(scope="module")
def airflow_dag():
    """deploy/airflow_dag.py as Airflow would load it, here without Airflow."""
    spec = importlib.util.spec_from_file_location("airflow_dag", DEPLOY / "airflow_dag.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("code", "outcome"), [
    (0, "done"), (75, "retry"), (5, "retry"), (1, "fail"), (2, "fail"), (3, "fail"),
    (4, "fail"), (6, "fail"), (-9, "fail"),
])
def test_airflow_retries_only_what_can_pass_on_a_retry(airflow_dag, code, outcome):
    assert airflow_dag.outcome(code) == outcome


def test_airflow_runs_on_the_deployments_settings_as_of_its_date(airflow_dag):
    command = airflow_dag.command("2026-11-21")
    assert command[1:] == ["-m", "pipeline", "run", "--config", "config/pipeline.yaml",
                           "--as-of", "2026-11-21", "--log-json"]
    assert airflow_dag.AS_OF == ("{{ data_interval_end.in_timezone('Asia/Shanghai')"
                                 ".to_date_string() }}")


def test_cron_and_systemd_run_on_the_deployments_settings_and_retry_alike(airflow_dag):
    [cron] = [line for line in (DEPLOY / "crontab").read_text(encoding="utf-8").splitlines()
              if line.startswith("0 6 ")]
    service = (DEPLOY / "crm-reports.service").read_text(encoding="utf-8").splitlines()
    [start] = [line for line in service if line.startswith("ExecStart=")]
    for line in (cron, start):
        assert "-m pipeline run --config " in line
        assert "--inbox" not in line and "--out" not in line and "--as-of" not in line
    [prevent] = [line for line in service if line.startswith("RestartPreventExitStatus=")]
    never = {int(code) for code in prevent.split("=")[1].split()}
    assert never == {1, 2, 3, 4, 6}
    assert {airflow_dag.outcome(code) for code in never} == {"fail"}

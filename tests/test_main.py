"""The command line as ops run it: real processes, real exit codes, messages on stderr."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest

from pipeline.warehouse.db import open_warehouse
from tests.test_ingest import sample_rows, write_export, write_sample_inbox


def pipeline(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def small_inbox(tmp_path):
    return write_sample_inbox(tmp_path / "inbox", deals=200, extra=("targets.csv",))


def test_a_bad_date_is_a_usage_error():
    result = pipeline("run", "--as-of", "2026-13-01")
    assert result.returncode == 2
    assert "not a date in the form YYYY-MM-DD" in result.stderr


def test_an_unknown_setting_is_a_configuration_error(tmp_path):
    config = tmp_path / "settings.yaml"
    config.write_text("langauge: en\n", encoding="utf-8")
    result = pipeline("run", "--config", str(config), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "unknown setting 'langauge'; did you mean 'language'?" in result.stderr


def test_a_refused_deals_export_stops_the_run_with_exit_3(small_inbox, tmp_path):
    header, rows = sample_rows(limit=200)
    for row in rows[9:12]:  # 3 of 200 rows quarantined: above reject_threshold, the file
        row[header.index("Stage")] = "Won (verbal)"  # is refused, and no deals are left
    write_export(small_inbox / "Deals.csv", header, rows)
    result = pipeline("run", "--no-mail", "--inbox", str(small_inbox),
                      "--out", str(tmp_path / "out"), "--as-of", "2026-11-20")
    assert result.returncode == 3
    assert "no deals export loaded; Deals.csv refused: Deals.csv, line 11: column 'Stage': " \
        "value 'Won (verbal)': 3 of 200 rows (1.5%) cannot be loaded" in result.stderr
    assert "the first: unknown stage" in result.stderr
    assert not (tmp_path / "out" / "reports").exists()


def test_a_missing_column_stops_the_run_with_exit_3(small_inbox, tmp_path):
    with (small_inbox / "org.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    with (small_inbox / "org.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([row[:-1] for row in rows])  # drop "region"
    result = pipeline("ingest", "--inbox", str(small_inbox), "--out", str(tmp_path / "out"))
    assert result.returncode == 3
    assert "org.csv, line 1: column 'region': required column missing" in result.stderr


def test_a_failed_contract_stops_the_run_with_exit_4_and_writes_the_cases(small_inbox,
                                                                           tmp_path):
    out = tmp_path / "out"
    common = ("--inbox", str(small_inbox), "--out", str(out), "--as-of", "2026-11-20")
    assert pipeline("ingest", *common).returncode == 0
    assert pipeline("build", *common).returncode == 0
    with open_warehouse(out / "warehouse.duckdb") as con:
        con.execute("update rpt_rep_performance_monthly set win_rate = 1.25 "
                    "where owner_id = (select min(owner_id) from rpt_rep_performance_monthly "
                    "where win_rate is not null)")
    result = pipeline("validate", *common)
    assert result.returncode == 4
    assert "rpt_rep_performance_monthly" in result.stderr
    with (out / "validation" / "failures.csv").open(encoding="utf-8") as handle:
        cases = list(csv.DictReader(handle))
    assert {(c["table"], c["column"], c["check"], c["failure_case"]) for c in cases} >= {
        ("rpt_rep_performance_monthly", "win_rate", "less_than_or_equal_to(1)", "1.25")}
    # nothing is rendered from a build that failed its contracts
    result = pipeline("report", *common)
    assert result.returncode == 4
    assert "have not passed validation" in result.stderr
    assert not (out / "reports" / "2026-11-20").exists()


def test_sending_without_mail_settings_stops_before_any_work(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pipeline", "run", "--out",
                             str(tmp_path / "out"), "--as-of", "2026-11-20"],
                            capture_output=True, text=True, timeout=300,
                            env={k: v for k, v in os.environ.items()
                                 if not k.startswith(("SMTP_", "MAIL_"))})
    assert result.returncode == 2
    assert "sending mail needs SMTP_HOST and MAIL_FROM" in result.stderr
    assert "--dry-run" in result.stderr
    assert not (tmp_path / "out" / "warehouse.duckdb").exists()


def test_stale_exports_warn_or_stop_the_run_when_configured(small_inbox, tmp_path):
    common = ("--no-mail", "--inbox", str(small_inbox), "--as-of", "2026-12-31")
    config = tmp_path / "settings.yaml"
    config.write_text("stale_after_days: 7\nstale_action: fail\n", encoding="utf-8")
    result = pipeline("run", *common, "--out", str(tmp_path / "a"), "--config", str(config))
    assert result.returncode == 3
    assert "days before the as-of date 2026-12-31 (stale_after_days: 7)" in result.stderr
    assert not (tmp_path / "a" / "warehouse.duckdb").exists()

    config.write_text("stale_after_days: 7\n", encoding="utf-8")  # stale_action: warn
    for step in ("ingest", "build", "validate"):
        result = pipeline(step, *common[1:], "--out", str(tmp_path / "b"),
                          "--config", str(config))
        assert result.returncode == 0, result.stderr
    assert "stale_after_days: 7" in result.stderr


@pytest.mark.parametrize("args", [("deliver", "--no-mail"), ("resend", "--dry-run",
                                                              "--recipient", "a@example.com")])
def test_delivery_commands_refuse_options_that_would_do_nothing(args, tmp_path):
    result = pipeline(*args, "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert f"{args[0]} does not take {args[1]}" in result.stderr

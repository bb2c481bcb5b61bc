"""The command line explains itself: each command's help shows its own options and exit codes,
an option of another command is refused, and the installed `crm-reports` works as
`python -m pipeline` does."""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
from itertools import takewhile
from pathlib import Path

import pytest

from pipeline.__main__ import COMMANDS, EXIT_CODES, parse_args
from pipeline.paths import ROOT

COMMON = {"--config", "--out", "--log-json", "--verbose", "--help"}
OPTIONS = {
    "run": {"--inbox", "--as-of", "--dry-run", "--no-mail", "--engine"},
    **{step: {"--inbox", "--as-of"} for step in ("ingest", "validate", "snapshot", "report")},
    "build": {"--inbox", "--as-of", "--select", "--engine"},
    "deliver": {"--as-of", "--dry-run"},
    "resend": {"--as-of", "--recipient", "--report"},
    "backfill": {"--inbox", "--from", "--to", "--dry-run", "--no-mail"},
}
EVERY_OPTION = set().union(*OPTIONS.values())
SCRIPT = Path(sys.executable).parent / "crm-reports"


def help_of(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as stop:
        parse_args([*args, "--help"], prog="crm-reports")
    assert stop.value.code == 0
    return capsys.readouterr().out


def options_in(text: str) -> set[str]:
    return {word.strip("[],") for word in text.split() if word.strip("[],").startswith("--")}


@pytest.mark.parametrize("command", list(OPTIONS))
def test_a_commands_help_shows_its_options_and_only_those(capsys, command):
    text = help_of(capsys, command)
    assert text.startswith(f"usage: crm-reports {command} ")
    assert COMMANDS[command][0].split(":")[0] in text  # its description
    assert options_in(text.split("exit codes:")[0]) == OPTIONS[command] | COMMON
    codes = [line.split()[0] for line in text.split("exit codes:\n")[1].splitlines()]
    assert codes == [str(code) for code in sorted(COMMANDS[command][2])]


def test_the_help_lists_every_command_with_what_it_does(capsys):
    text = help_of(capsys)
    for command, (description, _, _) in COMMANDS.items():
        assert f"    {command}" in text and description.split()[0] in text
    assert options_in(text.split("options:")[1].split("commands:")[0]) == {"--help"}
    assert [line.split()[0] for line in text.split("exit codes:\n")[1].splitlines()] == [
        str(code) for code in EXIT_CODES]


@pytest.mark.parametrize(("args", "option", "owners"), [
    (("run", "--recipient", "a@example.com"), "--recipient", "resend"),
    (("ingest", "--dry-run"), "--dry-run", "run, deliver, backfill"),
    (("backfill", "--from", "2026-11-01", "--to", "2026-11-02", "--as-of", "2026-11-02"),
     "--as-of", "run, ingest, build, validate, snapshot, report, deliver, resend"),
    (("resend", "--recipient", "a@example.com", "--from", "2026-11-01"), "--from",
     "backfill"),
    (("deliver", "--no-mail"), "--no-mail", "run, backfill"),
    (("resend", "--recipient", "a@example.com", "--dry-run"), "--dry-run",
     "run, deliver, backfill"),
    (("deliver", "--inbox", "data/sample"), "--inbox",
     "run, ingest, build, validate, snapshot, report, backfill"),
    (("validate", "--select", "rpt_forecast"), "--select", "build"),
    (("run", "--select", "+rpt_forecast"), "--select", "build"),
])
def test_an_option_of_another_command_is_refused(capsys, args, option, owners):
    with pytest.raises(SystemExit) as stop:
        parse_args(list(args), prog="crm-reports")
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert f"usage: crm-reports {args[0]} " in error
    assert (f"crm-reports {args[0]}: error: {args[0]} does not take {option} (an option of "
            f"{owners}); `crm-reports {args[0]} --help` lists the options of {args[0]}"
            in error)


@pytest.mark.parametrize("args", [("run", "--bogus"), ("backfill", "--from", "2026-11-02"),
                                  ("resend",), ("frobnicate",), ()])
def test_an_unknown_option_or_command_or_a_missing_one_is_a_usage_error(capsys, args):
    with pytest.raises(SystemExit) as stop:
        parse_args(list(args), prog="crm-reports")
    assert stop.value.code == 2
    assert "usage: crm-reports" in capsys.readouterr().err


def invocations() -> list[str]:
    """Every `-m pipeline ...` of the Makefile's targets, as make expands them, and of the
    deployment examples."""
    targets = [line.split(":")[0] for line in (ROOT / "Makefile").read_text(
        encoding="utf-8").splitlines() if re.match(r"[a-z-]+:.*## ", line)]
    made = subprocess.run(["make", "-n", *targets, "RECIPIENT=a@example.com",
                           "FROM=2026-11-01", "TO=2026-11-02"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    found = [line for line in made.stdout.splitlines() if " -m pipeline " in line]
    for path in (ROOT / "deploy").iterdir():
        found += re.findall(r" -m pipeline [^\"\n]+", path.read_text(encoding="utf-8"))
    spec = importlib.util.spec_from_file_location("airflow_dag", ROOT / "deploy" / "airflow_dag.py")
    dag = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dag)  # it loads without Airflow
    found.append(shlex.join(dag.command("2026-11-20")))
    return found


def test_every_invocation_in_the_makefile_and_the_deployment_examples_still_parses():
    found = invocations()
    assert len(found) >= 14
    for line in found:
        words = shlex.split(line.split(" -m pipeline ", 1)[1])
        args = list(takewhile(lambda word: word[0] not in "><|;&", words))  # not redirections
        assert parse_args(args).command in COMMANDS, line


def test_the_installed_command_runs_as_python_m_pipeline_does():
    assert SCRIPT.is_file(), f"{SCRIPT} is missing: install the project (make install)"
    result = subprocess.run([str(SCRIPT), "run", "--help"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: crm-reports run [-h] [--inbox DIR]")
    assert "--recipient" not in result.stdout and "--no-mail" in result.stdout
    refused = subprocess.run([str(SCRIPT), "ingest", "--dry-run"], capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 2
    assert "crm-reports ingest: error: ingest does not take --dry-run" in refused.stderr
    module = subprocess.run([sys.executable, "-m", "pipeline", "run", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert module.returncode == 0
    assert module.stdout.startswith("usage: python -m pipeline run [-h] [--inbox DIR]")

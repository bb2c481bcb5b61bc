"""One run at a time per output folder: a run that ends, however it ends, releases its lock and
its name; only a process that died leaves its name behind, and the next run takes it over with
a warning."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys

import pytest

from pipeline.control.lock import LOCK_FILE, run_lock
from pipeline.paths import ROOT

TAKEN_OVER = "ended without releasing it"

# a child process that takes the lock as run 'child', then ends as told
CHILD = """\
import os, signal, sys
from pathlib import Path
from pipeline.control.lock import run_lock
with run_lock(Path(sys.argv[1]), "child"):
    print("held", flush=True)
    sys.stdin.readline()
    {end}
"""
ENDINGS = {
    "an exception": "raise RuntimeError('a bug')",
    "an exit code": "sys.exit(3)",
    "Ctrl-C": "raise KeyboardInterrupt",
    "SIGTERM": "signal.signal(signal.SIGTERM, lambda *_: sys.exit(143)); "
               "os.kill(os.getpid(), signal.SIGTERM)",
}


def child(out, end: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", CHILD.format(end=end), str(out)],
                               cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_a_run_that_ends_however_it_ends_leaves_no_name_behind(tmp_path, caplog, ending):
    process = child(tmp_path, ENDINGS[ending])
    process.communicate("go\n", timeout=30)
    assert process.returncode != 0
    with caplog.at_level(logging.WARNING), run_lock(tmp_path, "next"):
        pass
    assert TAKEN_OVER not in caplog.text
    assert (tmp_path / LOCK_FILE).read_text(encoding="utf-8") == ""


@pytest.mark.parametrize("error", [RuntimeError("a bug"), SystemExit(2), KeyboardInterrupt()])
def test_a_failure_inside_the_lock_clears_its_name(tmp_path, caplog, error):
    with pytest.raises(type(error)), run_lock(tmp_path, "failed"):
        raise error
    with caplog.at_level(logging.WARNING), run_lock(tmp_path, "next"):
        pass
    assert TAKEN_OVER not in caplog.text


def test_a_killed_process_leaves_its_name_and_the_next_run_takes_over(tmp_path, caplog):
    process = child(tmp_path, "")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    with caplog.at_level(logging.WARNING), run_lock(tmp_path, "next"):
        pass
    assert f"taking over the lock of run child (PID {process.pid}, started " in caplog.text
    assert TAKEN_OVER in caplog.text


def test_the_run_after_a_handled_failure_gives_no_warning(tmp_path):
    """As ops meet it: a run that stops with an error (here, no inbox: exit 2), then the next."""
    command = [sys.executable, "-m", "pipeline", "ingest", "--inbox", str(tmp_path / "none"),
               "--out", str(tmp_path / "out")]
    first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert first.returncode == 2, first.stderr[-2000:]
    second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert second.returncode == 2
    assert "taking over the lock" not in second.stderr

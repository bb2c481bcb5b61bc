"""The progress display: it names the step a run is in and how far the report step is, and
shows nothing off a terminal or in JSON lines. (That the report step counts every edition and
PDF is tested in test_render.py, on the three-level org chart's editions.)"""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest
from rich.console import Console
from rich.progress import Progress

from pipeline.control import logs
from pipeline.control.logs import StepBar, progress, setup_logging


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging():
    """setup_logging takes over the root logger: give it back as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    console, settings = logs._console, logs._settings
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logs._console, logs._settings = console, settings


def test_the_bar_names_the_step_the_run_is_in_and_the_editions_done():
    bar = Progress(console=Console(file=io.StringIO(), force_terminal=True))
    steps = StepBar(("ingest", "build", "report", "publish"), bar)
    assert steps.description == "ingest"
    steps.done("ingest")
    assert steps.description == "build"
    steps.done("build")
    assert steps.description == "report"
    steps.report("editions", 12, 27)
    assert steps.description == "report: editions 12/27"
    steps.report("PDFs", 3, 81)
    assert steps.description == "report: PDFs 3/81"
    steps.done("report")
    assert (steps.description, bar.tasks[0].completed) == ("publish", 3)
    steps.done("publish")
    assert (steps.description, bar.tasks[0].completed, bar.tasks[0].total) == ("", 4, 4)


@pytest.mark.parametrize(("stderr", "json_lines", "shown"), [
    (Terminal(), False, True),
    (Terminal(), True, False),  # --log-json on a terminal
    (io.StringIO(), False, False),  # cron, a pipe, a test
], ids=["terminal", "terminal --log-json", "not a terminal"])
def test_a_bar_only_on_a_terminal_without_json_lines(monkeypatch, restore_logging, stderr,
                                                      json_lines, shown):
    monkeypatch.setattr(sys, "stderr", stderr)
    setup_logging("run-1", json_lines=json_lines)
    with progress(("ingest", "build")) as steps:
        steps.done("ingest")
        steps.report("editions", 1, 2)
        logging.getLogger("pipeline").info("a line")
        assert (steps.bar is not None) == shown
    if shown:
        assert "build" in stderr.getvalue()
    else:  # the log's lines and nothing else
        [line] = stderr.getvalue().splitlines()
        assert json.loads(line)["message"] == "a line"

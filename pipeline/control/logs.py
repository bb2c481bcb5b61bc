"""Logging: readable lines and a progress bar on a terminal, JSON lines anywhere else.

Every line carries the run id. JSON lines carry a line's extra fields too (step, event,
seconds, and a summary's fields), so a scheduler or a test can follow a run step by step.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

EXTRA_FIELDS = ("step", "event", "seconds", "exit_code")
_console: Console | None = None
_settings: dict | None = None


class RunIdFilter(logging.Filter):
    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = self.run_id
        return True


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(
                    timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name,
                "run_id": getattr(record, "run_id", None), "message": record.getMessage()}
        line |= {k: getattr(record, k) for k in EXTRA_FIELDS if hasattr(record, k)}
        line |= getattr(record, "fields", {})
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def setup_logging(run_id: str, *, json_lines: bool = False, verbose: bool = False) -> None:
    """JSON lines when asked, or when stderr is not a terminal; rich output otherwise."""
    global _console, _settings
    _settings = {"run_id": run_id, "json_lines": json_lines, "verbose": verbose}
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    if json_lines or not sys.stderr.isatty():
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLines())
        _console = None
    else:
        _console = Console(stderr=True)
        handler = RichHandler(console=_console, show_path=False, markup=False,
                              log_time_format="%H:%M:%S")
        handler.setFormatter(logging.Formatter(f"[{run_id}] %(message)s"))
    handler.addFilter(RunIdFilter(run_id))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("fontTools", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def settings() -> dict | None:
    """How this process logs, for worker processes to log the same way (None: not set up)."""
    return _settings


class StepBar:
    """The run's steps, one after another, as a bar that names the step the run is in;
    inside the report step, how far it is (`report: editions 12/27`). Without a bar (off a
    terminal, JSON lines) it only counts."""

    def __init__(self, steps: Sequence[str], bar: Progress | None = None) -> None:
        self.steps, self.bar, self.done_count = tuple(steps), bar, 0
        self.task = bar.add_task(self.current, total=len(self.steps)) if bar else None

    @property
    def current(self) -> str:
        """The step the run is in: the first not yet done."""
        return self.steps[self.done_count] if self.done_count < len(self.steps) else ""

    @property
    def description(self) -> str | None:
        return self.bar.tasks[0].description if self.bar else None

    def done(self, step: str) -> None:
        """`step` is over: the bar names the next."""
        self.done_count = self.steps.index(step) + 1
        if self.bar:
            self.bar.update(self.task, completed=self.done_count, description=self.current)

    def report(self, what: str, done: int, total: int) -> None:
        """The report step has `done` of `total` editions (or PDFs) written."""
        if self.bar:
            self.bar.update(self.task, description=f"{self.current}: {what} {done}/{total}")


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def collect_warnings() -> Iterator[list[str]]:
    """Every warning (and error) the pipeline logs in this process meanwhile, in order."""
    collector, logger = _Collector(), logging.getLogger("pipeline")
    logger.addHandler(collector)
    try:
        yield collector.messages
    finally:
        logger.removeHandler(collector)


@contextmanager
def progress(steps: Sequence[str]) -> Iterator[StepBar]:
    """A bar over the run's steps on a terminal, gone when they are; a StepBar that shows
    nothing when logging goes to JSON lines (not a terminal, or --log-json)."""
    if _console is None:
        yield StepBar(steps)
        return
    bar = Progress(TextColumn("{task.description}"), BarColumn(),
                   TextColumn("{task.completed}/{task.total} steps"), TimeElapsedColumn(),
                   console=_console, transient=True)
    with bar:
        yield StepBar(steps, bar)

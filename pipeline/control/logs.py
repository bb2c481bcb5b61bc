"""Logging: readable lines and a progress bar on a terminal, JSON lines anywhere else.

Every line carries the run id. JSON lines carry a line's extra fields too (step, event,
seconds), so a scheduler or a test can follow a run step by step.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

EXTRA_FIELDS = ("step", "event", "seconds", "exit_code")
_progress: Progress | None = None
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
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def setup_logging(run_id: str, *, json_lines: bool = False, verbose: bool = False) -> None:
    """JSON lines when asked, or when stderr is not a terminal; rich output otherwise."""
    global _progress, _settings
    _settings = {"run_id": run_id, "json_lines": json_lines, "verbose": verbose}
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    if json_lines or not sys.stderr.isatty():
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLines())
        _progress = None
    else:
        console = Console(stderr=True)
        handler = RichHandler(console=console, show_path=False, markup=False,
                              log_time_format="%H:%M:%S")
        handler.setFormatter(logging.Formatter(f"[{run_id}] %(message)s"))
        _progress = Progress(TextColumn("{task.description}"), BarColumn(),
                             TextColumn("{task.completed}/{task.total}"),
                             TimeElapsedColumn(), console=console, transient=True)
    handler.addFilter(RunIdFilter(run_id))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("fontTools", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def settings() -> dict | None:
    """How this process logs, for worker processes to log the same way (None: not set up)."""
    return _settings


@contextmanager
def progress(steps: tuple[str, ...]) -> Iterator:
    """A bar over the run's steps on a terminal; yields advance(next_step)."""
    if _progress is None:
        yield lambda step: None
        return
    with _progress:
        task = _progress.add_task(steps[0] if steps else "", total=len(steps))

        def advance(step: str | None) -> None:
            _progress.update(task, advance=1, description=step or "")

        yield advance

"""One run at a time per output folder: an exclusive lock on out/.lock.

The lock is the kernel's (flock), so it ends with the process that holds it, however that
process ends. The file also names its holder (run id, PID, start time) for the message a
second run gives. A run clears its name however it ends (an error, an exit code, Ctrl-C), so
a name left behind without a lock is a process that died (SIGKILL, power loss), and is taken
over with a warning.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pipeline.errors import Busy

log = logging.getLogger(__name__)

LOCK_FILE = ".lock"


@contextmanager
def run_lock(out: Path, run_id: str) -> Iterator[None]:
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _named_holder(fd)
        os.close(fd)
        raise Busy(f"another run is using {out}: {_describe(holder)}; this run stops "
                   "without changing anything") from None
    try:
        left = _holder(fd)
        if left:
            log.warning("taking over the lock of %s, which ended without releasing it",
                        _describe(left))
        _write(fd, {"run_id": run_id, "pid": os.getpid(),
                    "started_at": datetime.now(UTC).isoformat(timespec="seconds")})
        try:
            yield
        finally:
            _write(fd, None)  # however the run ends; only a dead process leaves its name
    finally:
        os.close(fd)


def _holder(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 4096).decode("utf-8", "replace")
    try:
        return json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return {"run_id": text.strip()[:60]}


def _named_holder(fd: int, patience: float = 1.0) -> dict:
    """The holder, given a moment to write its name when it has only just taken the lock
    (two runs started together), so the message can say which run is using the folder."""
    deadline = time.monotonic() + patience
    while "pid" not in (holder := _holder(fd)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return holder


def _write(fd: int, holder: dict | None) -> None:
    os.ftruncate(fd, 0)
    if holder:
        os.pwrite(fd, json.dumps(holder).encode(), 0)
    os.fsync(fd)


def _describe(holder: dict) -> str:
    if not holder:
        return "a run that is just starting"
    return (f"run {holder.get('run_id', '?')} (PID {holder.get('pid', '?')}, "
            f"started {holder.get('started_at', '?')})")

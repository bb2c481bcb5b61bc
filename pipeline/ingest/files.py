"""Files: what the run learns about each inbox file, and the two ways it reads and writes
any file: its SHA-256, and an atomic replace."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.ingest.mapping import EntityMapping
from pipeline.ingest.readers import Prepared

# loaded; refused (a fault of the file, named in the note; nothing of it loaded); skipped
# (not an export, or not yet one: the note says why); duplicate (the same bytes as another)
STATUSES = ("loaded", "refused", "skipped", "duplicate")


@dataclass
class FileResult:
    """One entry of the inbox (a file or a folder) and what the run did with it."""

    path: Path
    file_id: int
    mapping: EntityMapping | None = None
    sha256: str = ""
    encoding: str = ""
    status: str = "loaded"
    rows_read: int | None = 0  # None: a refused file whose rows could not be counted
    rows_loaded: int = 0
    rows_rejected: int | None = 0
    footer_lines: int = 0
    note: str = ""
    prepared: Prepared | None = None  # how the run read it, while the run lasts


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def replace_text(path: Path, text: str) -> None:
    """Write beside, then rename over: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)

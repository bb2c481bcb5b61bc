"""What the run learns about each inbox file, for raw_files and the log."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.mapping import EntityMapping


@dataclass
class FileResult:
    path: Path
    file_id: int
    mapping: EntityMapping | None = None
    sha256: str = ""
    encoding: str = ""
    status: str = "loaded"
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    footer_lines: int = 0
    note: str = ""

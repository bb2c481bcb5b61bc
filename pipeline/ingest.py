"""Ingest: every export in the inbox -> the raw_ tables of the canonical model.

A file is recognised by its header row, its columns are matched by name, and each value is
parsed by the type of the canonical field it feeds. A row with a value that does not parse
goes to raw_rejects with file, line, column, value and reason; the rest of the file loads.
A file that cannot be read as the export it claims to be is refused (InputRejected, exit 3).
For every file, rows read = rows loaded + rows rejected; a report's footer lines are
stripped and counted apart, never loaded.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.canonical import ENTITIES, LINEAGE_COLUMNS, TYPES
from pipeline.channels import load_channels
from pipeline.config import Config
from pipeline.errors import InputRejected
from pipeline.files import FileResult, sha256
from pipeline.history import load_history
from pipeline.inbox_checks import check_inbox
from pipeline.incentives import load_incentives
from pipeline.loading import load_file
from pipeline.mapping import Source, load_sources
from pipeline.readers import XLSX_SUFFIXES
from pipeline.rules import load_rules

log = logging.getLogger(__name__)

IN_PROGRESS_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".download")
READABLE_SUFFIXES = (".csv", ".txt", *XLSX_SUFFIXES)


@dataclass
class IngestResult:
    files: list[FileResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def load_exports(con: duckdb.DuckDBPyConnection, config: Config) -> IngestResult:
    """Replace the raw_ tables with what the inbox holds now."""
    sources = load_sources(config.mapping_dirs, config.stages)
    result = IngestResult()
    # a broken channels file stops the run before any export is read
    load_channels(con, config.channels_file)
    paths = _inbox_files(config, result)
    _create_raw_tables(con, sources)
    seen: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="ingest-") as workdir:
        for file_id, path in enumerate(paths, start=1):
            file = FileResult(path, file_id, sha256=sha256(path))
            result.files.append(file)
            if file.sha256 in seen:
                file.status, file.note = "duplicate", f"same content as {seen[file.sha256].name}"
            else:
                seen[file.sha256] = path
                load_file(con, file, sources, config, Path(workdir))
            if file.status != "loaded" or file.note:
                result.warnings.append(f"{path.name}: {file.status}, {file.note}"
                                       if file.status != "loaded" else f"{path.name}: {file.note}")
    _record_files(con, result.files)
    check_inbox(con, result.files, result.warnings, config)
    load_history(con, config)
    load_rules(con, config.rules_file)
    load_incentives(con, config.incentives_file,
                    {row[0] for row in con.execute("select rule_id from raw_config__rules")
                     .fetchall()})
    con.execute("drop table if exists _load; drop table if exists _parsed; "
                "drop table if exists _shifts")
    for file in result.files:
        if file.status == "loaded":
            log.info("loaded %s as %s: %d rows, %d rejected", file.path.name,
                     file.mapping.title, file.rows_loaded, file.rows_rejected)
    for warning in result.warnings:
        log.warning(warning)
    return result


def _inbox_files(config: Config, result: IngestResult) -> list[Path]:
    inbox = config.inbox
    if not inbox.is_dir():
        raise InputRejected(str(inbox), "the inbox folder does not exist")
    paths = []
    for path in sorted(inbox.iterdir()):
        name = path.name
        if name.startswith((".", "~$")) or not path.is_file():
            continue
        if name.lower().endswith(IN_PROGRESS_SUFFIXES):
            result.warnings.append(f"{name}: skipped, the file is still being written")
        elif path.suffix.lower() not in READABLE_SUFFIXES:
            result.warnings.append(f"{name}: skipped, not a .csv, .txt or .xlsx export")
        else:
            paths.append(path)
    return _settled(paths, config.settle_seconds, result)


def _settled(paths: list[Path], seconds: float, result: IngestResult) -> list[Path]:
    """Two looks at each file's size and time; one that changes is still being written."""
    def look(path: Path) -> tuple[int, int]:
        stat = path.stat()
        return stat.st_size, stat.st_mtime_ns

    first = {path: look(path) for path in paths}
    if seconds:
        time.sleep(seconds)
    settled = []
    for path in paths:
        if look(path) != first[path]:
            result.warnings.append(f"{path.name}: skipped, the file is still being written "
                                   "(it changed while the run looked at it)")
        else:
            settled.append(path)
    return settled


def _create_raw_tables(con, sources: dict[str, Source]) -> None:
    lineage = ", ".join(f"{name} {type_}" for name, type_ in LINEAGE_COLUMNS.items())
    for entity in ENTITIES.values():
        columns = ", ".join(f"{f.name} {TYPES[f.type]}" for f in entity.fields)
        con.execute(f"create or replace table {entity.table} ({lineage}, {columns})")
    con.execute(
        "create or replace table raw_rejects (file_id integer, file_name varchar, "
        "line bigint, record_number bigint, column_name varchar, value varchar, "
        "reason varchar)")
    con.execute(
        "create or replace table raw_files (file_id integer, file_name varchar, "
        "sha256 varchar, source varchar, entity varchar, encoding varchar, status varchar, "
        "rows_read bigint, rows_loaded bigint, rows_rejected bigint, footer_lines bigint, "
        "note varchar)")
    con.execute(
        "create or replace table raw_config__stages (source varchar, label varchar, "
        "stage varchar, stage_order integer, status varchar, default_probability double, "
        "default_forecast_category varchar)")
    rows = [(s.name, label, stage.stage, stage.order, stage.status, stage.probability,
             stage.forecast)
            for s in sources.values() for label, stage in s.stage_labels().items()]
    if rows:
        con.executemany("insert into raw_config__stages values (?, ?, ?, ?, ?, ?, ?)", rows)


def _record_files(con, files: list[FileResult]) -> None:
    rows = [(f.file_id, f.path.name, f.sha256, f.mapping.source.name if f.mapping else None,
             f.mapping.entity.name if f.mapping else None, f.encoding, f.status, f.rows_read,
             f.rows_loaded, f.rows_rejected, f.footer_lines, f.note) for f in files]
    if rows:
        con.executemany("insert into raw_files values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)



"""Ingest: every export in the inbox -> the raw_ tables of the canonical model.

A file is recognised by its header row, its columns are matched by name, and each value is
parsed by the type of the canonical field it feeds. A fault stays where it starts: a row
with a value that does not parse goes to raw_rejects with file, line, column, value and
reason, and the rest of the file loads; a file that cannot be read as the export it claims
to be is refused (raw_files.status 'refused', the message in its note), and the other files
load. The run stops (InputRejected, exit 3) only when no deals export or no org file is
left to load. Every entry of the inbox is in raw_files: loaded, refused, skipped (with the
reason) or a duplicate. For every file, rows read = rows loaded + rows rejected; a report's
footer lines are stripped and counted apart, never loaded.
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.config import Config
from pipeline.errors import ConfigError, InputRejected
from pipeline.ingest.canonical import ENTITIES, LINEAGE_COLUMNS, TYPES
from pipeline.ingest.channels import load_channels
from pipeline.ingest.files import FileResult, sha256
from pipeline.ingest.inbox_checks import check_inbox
from pipeline.ingest.incentives import load_incentives
from pipeline.ingest.loading import check_given_values, load_file
from pipeline.ingest.loss_reasons import load_loss_reasons
from pipeline.ingest.mapping import Source, load_sources
from pipeline.ingest.readers import XLSX_SUFFIXES
from pipeline.ingest.rules import load_rules
from pipeline.warehouse.history import load_history

log = logging.getLogger(__name__)

IN_PROGRESS_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".download")
READABLE_SUFFIXES = (".csv", ".txt", *XLSX_SUFFIXES)
NIGHTLY_FOLDER = re.compile(r"\d{4}-\d{2}-\d{2}")
REJECT_COLUMNS = ("file_id integer, file_name varchar, line bigint, record_number bigint, "
                  "column_name varchar, value varchar, reason varchar")


@dataclass
class IngestResult:
    """Every entry of the inbox and what became of it, and every warning, filled in as the
    ingest goes: a caller still has them when it fails."""

    files: list[FileResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        log.warning(message)

    def with_status(self, status: str) -> list[FileResult]:
        return [f for f in self.files if f.status == status]


def load_exports(con: duckdb.DuckDBPyConnection, config: Config,
                 result: IngestResult | None = None) -> IngestResult:
    """Replace the raw_ tables with what the inbox holds now."""
    result = result if result is not None else IngestResult()
    sources = load_sources(config.mapping_dirs, config.stages)
    check_given_values(con, sources, config.timezone)
    # a broken channels or loss-reason file stops the run before any export is read
    load_channels(con, config.channels_file)
    load_loss_reasons(con, config.loss_reasons_file)
    _create_raw_tables(con, sources)
    readable = _inbox_entries(config, result)
    seen: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="ingest-") as workdir:
        for file in readable:
            file.sha256 = sha256(file.path)
            if file.sha256 in seen:
                file.status, file.note = "duplicate", f"same content as {seen[file.sha256].name}"
                file.rows_read = file.rows_rejected = None
                result.warn(f"{file.path.name}: duplicate, {file.note}")
                continue
            seen[file.sha256] = file.path
            _load(con, file, sources, config, Path(workdir) / str(file.file_id), result)
        try:
            check_inbox(con, result.files, result.warn, config)
        finally:
            _record_files(con, result.files)
    load_history(con, config)
    load_rules(con, config.rules_file)
    load_incentives(con, config.incentives_file,
                    {row[0] for row in con.execute("select rule_id from raw_config__rules")
                     .fetchall()})
    con.execute("drop table if exists _load; drop table if exists _parsed; "
                "drop table if exists _shifts")
    return result


def _load(con, file: FileResult, sources: dict[str, Source], config: Config, workdir: Path,
          result: IngestResult) -> None:
    """One file; a fault of the file refuses it alone."""
    try:
        load_file(con, file, sources, config, workdir, result.warn)
    except InputRejected as error:
        file.status, file.note = "refused", str(error)
        if file.mapping is not None:
            con.execute(f"delete from {file.mapping.entity.table} where file_id = ?",
                        [file.file_id])
        file.rows_loaded, file.rows_rejected = 0, file.rows_read
        result.warn(f"{file.path.name}: refused, {error}")
        return
    if file.status == "skipped":
        result.warn(f"{file.path.name}: skipped, {file.note}")
        return
    if file.note:
        result.warn(f"{file.path.name}: {file.note}")
    log.info("loaded %s as %s: %d rows, %d rejected", file.path.name, file.mapping.title,
             file.rows_loaded, file.rows_rejected)


def _inbox_entries(config: Config, result: IngestResult) -> list[FileResult]:
    """Every entry of the inbox, then the extra_inbox_files, into result.files; the ones to
    read are returned, the others skipped with their reason."""
    inbox = config.inbox
    if not inbox.is_dir():
        raise ConfigError(f"the inbox {inbox} does not exist or is not a folder: set "
                          "`inbox` in the config file, or pass --inbox")
    missing = [str(path) for path in config.extra_inbox_files if not path.is_file()]
    if missing:
        raise ConfigError(f"extra_inbox_files: no such file {', '.join(missing)}")
    readable = []
    entries = [*sorted(inbox.iterdir()), *config.extra_inbox_files]
    for file_id, path in enumerate(entries, start=1):
        file = FileResult(path, file_id, rows_read=None, rows_rejected=None)
        result.files.append(file)
        reason = _skip_reason(path)
        if reason:
            file.status, file.note = "skipped", reason
            result.warn(f"{path.name}: skipped, {reason}")
        else:
            readable.append(file)
    return _settled(readable, config.settle_seconds, result)


def _skip_reason(path: Path) -> str | None:
    name = path.name
    if path.is_dir():
        if NIGHTLY_FOLDER.fullmatch(name):
            return "a folder: the inbox of that night, which backfill reads for its date"
        return "a folder: only the files of the inbox itself are read"
    if not path.is_file():
        return "not a regular file"
    if name.startswith("~$"):
        return "an Office lock file: the workbook is open in Excel"
    if name.startswith(".~lock."):
        return "a LibreOffice lock file: the file is open in LibreOffice"
    if name.startswith("."):
        return "a hidden file (its name starts with a dot); rename it to have it read"
    if name.lower().endswith(IN_PROGRESS_SUFFIXES):
        return "the file is still being written"
    if path.suffix.lower() not in READABLE_SUFFIXES:
        return "not a .csv, .txt or .xlsx export"
    return None


def _settled(files: list[FileResult], seconds: float,
             result: IngestResult) -> list[FileResult]:
    """Two looks at each file's size and time; one that changes is still being written."""
    def look(path: Path) -> tuple[int, int]:
        stat = path.stat()
        return stat.st_size, stat.st_mtime_ns

    first = {file.file_id: look(file.path) for file in files}
    if seconds:
        time.sleep(seconds)
    settled = []
    for file in files:
        if look(file.path) != first[file.file_id]:
            file.status = "skipped"
            file.note = "the file is still being written (it changed while the run looked at it)"
            result.warn(f"{file.path.name}: skipped, {file.note}")
        else:
            settled.append(file)
    return settled


def _create_raw_tables(con, sources: dict[str, Source]) -> None:
    lineage = ", ".join(f"{name} {type_}" for name, type_ in LINEAGE_COLUMNS.items())
    for entity in ENTITIES.values():
        columns = ", ".join(f"{f.name} {TYPES[f.type]}" for f in entity.fields)
        con.execute(f"create or replace table {entity.table} ({lineage}, {columns})")
    # rows quarantined, and rows loaded with a warning: the same columns
    con.execute(f"create or replace table raw_rejects ({REJECT_COLUMNS})")
    con.execute(f"create or replace table raw_warnings ({REJECT_COLUMNS})")
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
             f.mapping.entity.name if f.mapping else None, f.encoding or None, f.status,
             f.rows_read, f.rows_loaded, f.rows_rejected, f.footer_lines, f.note)
            for f in files]
    if rows:
        con.executemany("insert into raw_files values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

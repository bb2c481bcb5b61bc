"""Ingest: every export in the inbox -> the raw_ tables of the canonical model.

A file is recognised by its header row, its columns are matched by name, and each value is
parsed by the type of the canonical field it feeds. A row with a value that does not parse
goes to raw_rejects with file, line, column, value and reason; the rest of the file loads.
A file that cannot be read as the export it claims to be is refused (InputRejected, exit 3).
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.canonical import ENTITIES, LINEAGE_COLUMNS, REQUIRED_ENTITIES, TYPES, Field
from pipeline.config import Config
from pipeline.db import row, scalar
from pipeline.errors import InputRejected
from pipeline.mapping import EntityMapping, Source, load_sources

log = logging.getLogger(__name__)

IN_PROGRESS_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial")
DELIMITERS = (",", ";", "\t")


@dataclass
class FileResult:
    path: Path
    file_id: int
    mapping: EntityMapping | None = None
    sha256: str = ""
    status: str = "loaded"
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    note: str = ""


@dataclass
class IngestResult:
    files: list[FileResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Header:
    encoding: str
    delimiter: str
    columns: tuple[str, ...]


def load_exports(con: duckdb.DuckDBPyConnection, config: Config) -> IngestResult:
    """Replace the raw_ tables with what the inbox holds now."""
    sources = load_sources(config.mapping_dirs)
    result = IngestResult()
    paths = _inbox_files(config.inbox, result)
    _create_raw_tables(con, sources)
    seen: dict[str, Path] = {}
    for file_id, path in enumerate(paths, start=1):
        file = FileResult(path, file_id, sha256=_sha256(path))
        result.files.append(file)
        if file.sha256 in seen:
            file.status, file.note = "duplicate", f"same content as {seen[file.sha256].name}"
            result.warnings.append(f"{path.name}: skipped, {file.note}")
            continue
        seen[file.sha256] = path
        _load_file(con, file, sources, config)
        if file.status == "empty":
            result.warnings.append(f"{path.name}: skipped, {file.note}")
    _record_files(con, result.files)
    _check_required_entities(result, config)
    _check_org(con)
    _check_targets(con)
    con.execute("drop table if exists _load; drop table if exists _parsed; "
                "drop table if exists _shifts")
    for file in result.files:
        if file.status == "loaded":
            log.info("loaded %s as %s: %d rows, %d rejected", file.path.name,
                     file.mapping.title, file.rows_loaded, file.rows_rejected)
    for warning in result.warnings:
        log.warning(warning)
    return result


def _inbox_files(inbox: Path, result: IngestResult) -> list[Path]:
    if not inbox.is_dir():
        raise InputRejected(str(inbox), "the inbox folder does not exist")
    paths = []
    for path in sorted(inbox.iterdir()):
        name = path.name
        if name.startswith((".", "~$")) or not path.is_file():
            continue
        if name.lower().endswith(IN_PROGRESS_SUFFIXES):
            result.warnings.append(f"{name}: skipped, the file is still being written")
            continue
        if path.suffix.lower() != ".csv":
            result.warnings.append(f"{name}: skipped, only .csv exports are read")
            continue
        paths.append(path)
    return paths


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_header(path: Path) -> Header:
    """The header row, its encoding and its delimiter; the header decides what the file is."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if not head.strip():
        return Header("utf-8", ",", ())
    encoding = "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"
    text = head.decode(encoding, errors="replace")
    first_line = text.splitlines()[0] if text else ""
    delimiter = max(DELIMITERS, key=first_line.count)
    row = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    columns = tuple(cell.strip().lstrip("\ufeff") for cell in row)
    return Header(encoding, delimiter, columns)


def match_mapping(path: Path, columns: tuple[str, ...],
                  sources: dict[str, Source]) -> EntityMapping:
    """The mapping whose signature the header carries; the most specific one wins."""
    present = set(columns)
    candidates = [m for s in sources.values() for m in s.entities.values()]
    matching = [m for m in candidates if set(m.signature) <= present]
    if not matching:
        closest = max(candidates, key=lambda m: len(set(m.columns.values()) & present))
        lacking = [c for c in closest.signature if c not in present]
        raise InputRejected(
            path.name, f"the header matches no known export; closest is {closest.title}, "
            f"which also needs {lacking}", line=1)
    matching.sort(key=lambda m: len(m.signature), reverse=True)
    if len(matching) > 1 and len(matching[0].signature) == len(matching[1].signature):
        raise InputRejected(path.name, "the header matches more than one export: "
                            f"{matching[0].title} and {matching[1].title}", line=1)
    return matching[0]


def _load_file(con, file: FileResult, sources: dict[str, Source], config: Config) -> None:
    header = read_header(file.path)
    if not header.columns:
        file.status, file.note = "empty", "the file is empty"
        return
    mapping = match_mapping(file.path, header.columns, sources)
    file.mapping = mapping
    _check_columns(file.path, header, mapping)
    names = _unique_names(header.columns)
    try:
        con.execute(
            "create or replace temp table _load as select * from read_csv($path, "
            "header = true, auto_detect = false, delim = $delim, quote = '\"', "
            "escape = '\"', columns = $columns, store_rejects = true, "
            "rejects_table = '_load_rejects', rejects_scan = '_load_scans')",
            {"path": str(file.path), "delim": header.delimiter,
             "columns": {name: "VARCHAR" for name in names}})
    except duckdb.Error as error:
        raise InputRejected(file.path.name, f"cannot be read as CSV: {error}") from error
    ragged = con.execute(
        "select line - 1, first(error_type order by column_idx), "
        "first(error_message order by column_idx), trim(first(csv_line), chr(13) || chr(10)) "
        "from _load_rejects group by line order by line").fetchall()
    con.execute("drop table _load_rejects; drop table _load_scans")
    encoding_errors = [r for r in ragged if r[1] == "INVALID ENCODING"]
    if encoding_errors:
        raise InputRejected(file.path.name, "bytes that are not valid UTF-8",
                            line=encoding_errors[0][0] + 1)
    good = scalar(con, "select count(*) from _load")
    if good == 0 and not ragged:
        file.status, file.note = "empty", "the file has a header but no rows"
        return
    column_of = dict(zip(header.columns, names, strict=True))
    _parse(con, file, mapping, column_of, ragged, config)


def _check_columns(path: Path, header: Header, mapping: EntityMapping) -> None:
    present = set(header.columns)
    for f in mapping.entity.fields:
        column = mapping.columns.get(f.name)
        if column is not None and column not in present and f.required:
            raise InputRejected(path.name, f"required column missing for {mapping.title}",
                                line=1, column=column)
    counts: dict[str, int] = {}
    for column in header.columns:
        counts[column] = counts.get(column, 0) + 1
    for column in mapping.columns.values():
        if counts.get(column, 0) > 1:
            raise InputRejected(path.name, "the header has this column more than once, so "
                                "which one to read is ambiguous", line=1, column=column)


def _unique_names(columns: tuple[str, ...]) -> list[str]:
    names, seen = [], set()
    for index, column in enumerate(columns, start=1):
        name = column or f"column_{index}"
        while name in seen:
            name = f"{name} ({index})"
        seen.add(name)
        names.append(name)
    return names


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _parse(con, file: FileResult, mapping: EntityMapping, column_of: dict[str, str],
           ragged: list[tuple], config: Config) -> None:
    source, entity = mapping.source, mapping.entity
    params: dict[str, object] = {}
    exprs, errors, checked = [], [], []
    for f in entity.fields:
        column = mapping.columns.get(f.name)
        if column is None or column not in column_of:
            exprs.append(f"null::{TYPES[f.type]} as {f.name}")
            continue
        raw = f"nullif(trim({_ident(column_of[column])}), '')"
        value, rules = _typed(f, raw, source, params)
        exprs.append(f"{value} as {f.name}")
        if rules:
            whens = []
            for i, (condition, reason) in enumerate(rules):
                params[f"reason_{f.name}_{i}"] = reason
                whens.append(f"when {condition} then $reason_{f.name}_{i}")
            errors.append(f"case {' '.join(whens)} end as _error_{f.name}")
            checked.append((f, column))
    bad = " or ".join(f"_error_{f.name} is not null" for f, _ in checked) or "false"
    con.execute(
        "create or replace temp table _parsed as select *, " + bad + " as _bad from ("
        f"select rowid as _row, {', '.join(exprs + errors)} from _load)", params)

    ragged_records = [r[0] for r in ragged]
    _check_stages(con, file, mapping, ragged_records)
    rejects = []
    for f, column in checked:
        rows = con.execute(
            f"select _parsed._row, _load.{_ident(column_of[column])}, _error_{f.name} from _parsed "
            f"inner join _load on _load.rowid = _parsed._row where _error_{f.name} is not null "
            "order by 1").fetchall()
        rejects += [(row, column, value, reason) for row, value, reason in rows]
    record_of = _record_numbers(ragged_records)
    rejected_records = {record_of(row) for row, *_ in rejects} | set(ragged_records)
    total = scalar(con, "select count(*) from _load") + len(ragged_records)
    lines = _physical_lines(file.path, sorted(rejected_records), total)
    reject_rows = [(file.file_id, file.path.name, lines[r], r, None, text[:500], reason)
                   for r, _, reason, text in ragged]
    reject_rows += [(file.file_id, file.path.name, lines[record_of(row)], record_of(row),
                     column, value, reason) for row, column, value, reason in rejects]
    if reject_rows:
        con.executemany("insert into raw_rejects values (?, ?, ?, ?, ?, ?, ?)", reject_rows)

    record_sql = "_row + 1"
    if ragged_records:
        shifts = [r - i for i, r in enumerate(ragged_records, start=1)]
        con.execute("create or replace temp table _shifts as select unnest($s) as shift",
                    {"s": shifts})
        record_sql = "_row + 1 + (select count(*) from _shifts where shift <= _row)"
    names = ", ".join(f.name for f in entity.fields)
    con.execute(
        f"insert into {entity.table} ({', '.join(LINEAGE_COLUMNS)}, {names}) "
        f"select $source, $file_id, {record_sql}, {names} from _parsed where not _bad",
        {"source": source.name, "file_id": file.file_id})

    file.rows_rejected = len(rejected_records)
    file.rows_loaded = scalar(con, "select count(*) from _parsed where not _bad")
    file.rows_read = file.rows_loaded + file.rows_rejected
    rate = file.rows_rejected / file.rows_read
    if rate > config.reject_threshold:
        first = min(reject_rows, key=lambda r: r[2])
        raise InputRejected(
            file.path.name, f"{file.rows_rejected} of {file.rows_read} rows "
            f"({rate:.1%}) cannot be loaded, above the {config.reject_threshold:.1%} allowed; "
            f"the first: {first[6]}", line=first[2], column=first[4], value=first[5])


def _typed(f: Field, raw: str, source: Source, params: dict) -> tuple[str, list[tuple[str, str]]]:
    """The SQL that parses one value, and the (condition, reason) rules that reject it."""
    formats = source.formats
    rules: list[tuple[str, str]] = []
    if f.not_null:
        rules.append((f"{raw} is null", "a value is required"))
    if f.type == "id":
        params["id_prefix"] = source.id_prefix
        value = (f"case when starts_with({raw}, $id_prefix) "
                 f"then substr({raw}, length($id_prefix) + 1) else {raw} end")
    elif f.type in ("text", "stage"):
        value = raw
    elif f.type == "decimal":
        value = f"try_cast({raw} as decimal(18, 2))"
        rules.append((f"{raw} is not null and {value} is null", "not a number"))
    elif f.type == "integer":
        value = (f"case when regexp_full_match({raw}, '[+-]?[0-9]+') "
                 f"then try_cast({raw} as bigint) end")
        rules.append((f"{raw} is not null and {value} is null", "not a whole number"))
    elif f.type in ("date", "timestamp", "month"):
        params[f"format_{f.type}"] = formats[f.type]
        value = f"try_strptime({raw}, $format_{f.type})"
        if f.type != "timestamp":
            value = f"{value}::date"
        rules.append((f"{raw} is not null and {value} is null",
                      f"not a {f.type} in the format {formats[f.type]}"))
    elif f.type == "probability":
        scale = 100 if formats.get("probability", "percent") == "percent" else 1
        value = f"try_cast({raw} as double) / {scale}"
        rules.append((f"{raw} is not null and ({value} is null or {value} not between 0 and 1)",
                      f"not a probability between 0 and {scale}"))
    else:
        raise AssertionError(f"no parser for type {f.type}")
    if f.minimum is not None:
        rules.append((f"{value} < {int(f.minimum)}", f"below {f.minimum}"))
    if f.allowed:
        params[f"allowed_{f.name}"] = list(f.allowed)
        rules.append((f"not list_contains($allowed_{f.name}, {value})",
                      f"not one of {', '.join(f.allowed)}"))
    return value, rules


def _check_stages(con, file: FileResult, mapping: EntityMapping,
                  ragged_records: list[int]) -> None:
    known = list(mapping.source.stage_labels())
    for f in mapping.entity.fields:
        if f.type != "stage" or f.name not in mapping.columns:
            continue
        unknown = con.execute(
            f"select {f.name}, min(_row) from _parsed where {f.name} is not null "
            f"and not list_contains($known, {f.name}) group by 1 order by 2",
            {"known": known}).fetchall()
        if unknown:
            value, row = unknown[0]
            record = _record_numbers(ragged_records)(row)
            line = _physical_lines(file.path, [record], None)[record]
            others = f" (and {len(unknown) - 1} more unknown stages)" if len(unknown) > 1 else ""
            raise InputRejected(
                file.path.name, f"unknown stage{others}; add it to the stages of "
                f"{mapping.source.path.name}. Known: {', '.join(known)}",
                line=line, column=mapping.columns[f.name], value=value)


def _record_numbers(ragged_records: list[int]):
    """Maps a loaded row's position to its record number among all data records in the file."""
    shifts = [r - i for i, r in enumerate(ragged_records, start=1)]

    def record_of(row: int) -> int:
        return row + 1 + sum(1 for s in shifts if s <= row)

    return record_of


def _physical_lines(path: Path, records: list[int], total_records: int | None) -> dict[int, int]:
    """The line each data record starts on; records span several lines when quoted newlines."""
    if not records:
        return {}
    with path.open("rb") as handle:
        newline_count, last = 0, b""
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            newline_count, last = newline_count + chunk.count(b"\n"), chunk[-1:]
    if last != b"\n":
        newline_count += 1
    if total_records is not None and newline_count == total_records + 1:
        return {r: r + 1 for r in records}
    wanted, lines = set(records), {}
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=read_header(path).delimiter)
        next(reader, None)
        start = reader.line_num + 1
        for record, _ in enumerate(reader, start=1):
            if record in wanted:
                lines[record] = start
                if len(lines) == len(wanted):
                    break
            start = reader.line_num + 1
    return {r: lines.get(r, r + 1) for r in records}


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
        "sha256 varchar, source varchar, entity varchar, status varchar, rows_read bigint, "
        "rows_loaded bigint, rows_rejected bigint, note varchar)")
    con.execute(
        "create or replace table raw_config__stages (source varchar, label varchar, "
        "stage varchar, stage_order integer, status varchar)")
    rows = [(s.name, label, stage.stage, stage.order, stage.status)
            for s in sources.values() for label, stage in s.stage_labels().items()]
    if rows:
        con.executemany("insert into raw_config__stages values (?, ?, ?, ?, ?)", rows)


def _record_files(con, files: list[FileResult]) -> None:
    rows = [(f.file_id, f.path.name, f.sha256, f.mapping.source.name if f.mapping else None,
             f.mapping.entity.name if f.mapping else None, f.status, f.rows_read,
             f.rows_loaded, f.rows_rejected, f.note) for f in files]
    if rows:
        con.executemany("insert into raw_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _check_required_entities(result: IngestResult, config: Config) -> None:
    loaded = {f.mapping.entity.name for f in result.files if f.status == "loaded"}
    for name in REQUIRED_ENTITIES:
        if name not in loaded:
            raise InputRejected(str(config.inbox), f"no {name} export found in the inbox")


def _check_org(con) -> None:
    """The org files must form a tree: each user once, every manager a user, no loops."""
    org = ("(select org.*, files.file_name from raw_ops__org as org "
           "inner join raw_files as files on files.file_id = org.file_id)")
    duplicate = row(
        con, f"select user_id, list(file_name || ' line ' || (record_number + 1) "
        f"order by file_id, record_number) from {org} group by 1 having count(*) > 1 "
        "order by 1 limit 1")
    if duplicate:
        raise InputRejected(duplicate[1][-1].rsplit(" line ", 1)[0],
                            f"user listed more than once: {', '.join(duplicate[1])}",
                            column="user_id", value=duplicate[0])
    dangling = row(
        con, f"select file_name, record_number + 1, manager_id from {org} "
        "where manager_id is not null and manager_id not in (select user_id from raw_ops__org) "
        "order by file_id, record_number limit 1")
    if dangling:
        raise InputRejected(dangling[0], "manager_id is not the user_id of anyone in the org file",
                            line=dangling[1], column="manager_id", value=dangling[2])
    cycle = row(con, """
        with recursive chain (start_id, manager_id, depth) as (
            select user_id, manager_id, 1 from raw_ops__org where manager_id is not null
            union all
            select chain.start_id, org.manager_id, chain.depth + 1
            from chain
            inner join raw_ops__org as org on org.user_id = chain.manager_id
            where org.manager_id is not null
                and chain.depth <= (select count(*) from raw_ops__org)
        )
        select start_id from chain where manager_id = start_id order by 1 limit 1
    """)
    if cycle:
        raise InputRejected("org file", "the chain of managers above this user leads back "
                            "to them", column="user_id", value=cycle[0])


def _check_targets(con) -> None:
    """One target per person, month and metric: two would leave the right one to a guess."""
    duplicate = row(con, """
        select
            targets.user_id,
            strftime(targets.period, '%Y-%m'),
            targets.metric,
            list(files.file_name order by targets.file_id, targets.record_number),
            list(targets.record_number + 1 order by targets.file_id, targets.record_number)
        from raw_ops__targets as targets
        inner join raw_files as files on files.file_id = targets.file_id
        group by 1, 2, 3
        having count(*) > 1
        order by 1, 2, 3
        limit 1
    """)
    if duplicate:
        user, period, metric, names, lines = duplicate
        places = ", ".join(f"{name} line {line}"
                           for name, line in zip(names, lines, strict=True))
        raise InputRejected(names[1], f"two targets for user {user}, {period}, {metric} "
                            f"({places})", line=lines[1], column="target")

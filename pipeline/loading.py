"""Loading one inbox file: find its mapping, read it with DuckDB, strip a report footer,
type every value, and insert the rows (or quarantine them, with a reason and a line)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.canonical import LINEAGE_COLUMNS, TYPES
from pipeline.config import Config
from pipeline.db import row, scalar
from pipeline.errors import InputRejected
from pipeline.files import FileResult
from pipeline.mapping import EntityMapping, Source
from pipeline.parsing import Parser, ident
from pipeline.readers import (
    EXCEL_ROW_LIMITS,
    Prepared,
    Record,
    prepare,
    scan_records,
    transcode,
)


def match_mapping(path: Path, columns: tuple[str, ...], sources: dict[str, Source],
                  line: int = 1) -> EntityMapping:
    """The mapping whose signature the header (on `line`) carries; when several do, the one
    that reads most of the header's columns wins, then the one with the longer signature."""
    candidates = [m for s in sources.values() for m in s.entities.values()]

    def present(mapping: EntityMapping) -> set[str]:
        return {mapping.source.header_key(c) for c in columns}

    def reads(m: EntityMapping) -> int:
        wanted = {m.source.header_key(c) for col in m.columns.values() for c in col.sources}
        return len(wanted & present(m))

    matching = [m for m in candidates
                if {m.source.header_key(c) for c in m.signature} <= present(m)]
    if not matching:
        closest = max(candidates, key=reads)
        lacking = [c for c in closest.signature
                   if closest.source.header_key(c) not in present(closest)]
        raise InputRejected(
            path.name, f"the header matches no known export; closest is {closest.title} "
            f"({closest.source.path.name}), which also needs {lacking}", line=line)

    def fit(m: EntityMapping) -> tuple[int, int]:
        return reads(m), len(m.signature)

    matching.sort(key=fit, reverse=True)
    if len(matching) > 1 and fit(matching[0]) == fit(matching[1]):
        raise InputRejected(path.name, "the header matches more than one export: "
                            f"{matching[0].title} and {matching[1].title}", line=line)
    return matching[0]


@dataclass
class LoadedFile:
    """One file being loaded: its facts, its mapping, and its records when they are needed."""

    file: FileResult
    prepared: Prepared
    mapping: EntityMapping
    names: list[str]
    columns: dict[str, str] = field(default_factory=dict)  # export column -> DuckDB column
    _records: list[Record] | None = None

    @property
    def name(self) -> str:
        return self.file.path.name

    def records(self) -> list[Record]:
        if self._records is None:
            self._records = scan_records(self.prepared)
        return self._records

    def line_of(self, ordinal: int) -> int:
        records = self.records()
        return records[ordinal - 1].line if 0 < ordinal <= len(records) else ordinal + 1


def load_file(con, file: FileResult, sources: dict[str, Source], config: Config,
              workdir: Path) -> None:
    """One file of the inbox into its raw table; refuses it (InputRejected) when it cannot
    be read as the export it claims to be."""
    signatures = [m.signature for s in sources.values() for m in s.entities.values()]
    encodings = {e for s in sources.values() for e in s.encodings}
    prepared = prepare(file.path, workdir, signatures, encodings, str.casefold)
    file.encoding = prepared.encoding
    if not any(prepared.header):
        file.status, file.note = "skipped", "the file is empty"
        return
    mapping = match_mapping(file.path, prepared.header, sources, prepared.skip + 1)
    file.mapping = mapping
    if prepared.encoding not in ("utf-8", "utf-8-sig", "utf-16", "xlsx") \
            and prepared.encoding not in mapping.source.encodings:
        raise InputRejected(file.path.name, f"the file is in {prepared.encoding}, which the "
                            f"mapping {mapping.source.path.name} does not declare")
    loaded = LoadedFile(file, prepared, mapping, _unique_names(prepared.header))
    columns = loaded.columns = _resolve_columns(loaded)
    ragged = _read_into_load(con, loaded, workdir)
    if ragged is None:
        return
    ragged = _strip_footer(con, loaded, ragged)
    _excel_limit(con, loaded, ragged)
    _parse(con, loaded, columns, ragged, config)


def _unique_names(columns: tuple[str, ...]) -> list[str]:
    names, seen = [], set()
    for index, column in enumerate(columns, start=1):
        name = column or f"column_{index}"
        while name.casefold() in seen:
            name = f"{name} ({index})"
        seen.add(name.casefold())
        names.append(name)
    return names


def _resolve_columns(loaded: LoadedFile) -> dict[str, str]:
    """Export column (as the mapping names it) -> the DuckDB column holding it."""
    mapping, header = loaded.mapping, loaded.prepared.header
    key = mapping.source.header_key
    positions: dict[str, list[int]] = {}
    for index, column in enumerate(header):
        positions.setdefault(key(column), []).append(index)
    wanted = [(f, c, name) for f, c in mapping.columns.items() for name in c.sources]
    if mapping.status:
        rule = mapping.status
        wanted += [("status", None, name) for name in (rule.column, rule.closed, rule.won)
                   if name]
    resolved: dict[str, str] = {}
    for _, column, name in wanted:
        found = positions.get(key(name), [])
        occurrence = column.occurrence if column else None
        line = loaded.prepared.skip + 1
        if not found:
            if column is not None and column.optional:
                continue
            raise InputRejected(loaded.name, f"required column missing for {mapping.title}",
                                line=line, column=name)
        if len(found) > 1 and occurrence is None:
            raise InputRejected(loaded.name, "the header has this column more than once and "
                                "the mapping does not say which to read (occurrence:)",
                                line=line, column=name)
        if (occurrence or 1) > len(found):
            raise InputRejected(loaded.name, f"the mapping reads occurrence {occurrence} of "
                                f"this column, the header has {len(found)}",
                                line=line, column=name)
        occurrence = occurrence or 1
        resolved[name] = loaded.names[found[occurrence - 1]]
    return resolved


def _read_into_load(con, loaded: LoadedFile, workdir: Path) -> list[Record] | None:
    """DuckDB reads the file into _load; returns the records it could not split into the
    header's columns (ragged rows), or None when the file holds no rows."""
    prepared = loaded.prepared
    try:
        con.execute(
            "create or replace temp table _load as select * from read_csv($path, "
            "header = true, skip = $skip, auto_detect = false, delim = $delim, quote = '\"', "
            "escape = '\"', columns = $columns, store_rejects = true, "
            "rejects_table = '_load_rejects', rejects_scan = '_load_scans')",
            {"path": str(prepared.path), "skip": prepared.skip, "delim": prepared.delimiter,
             "columns": {name: "VARCHAR" for name in loaded.names}})
    except duckdb.Error as error:
        raise InputRejected(loaded.name, f"cannot be read as CSV: {error}") from error
    rejected_lines = [r[0] for r in con.execute(
        "select line, bool_or(error_type = 'INVALID ENCODING') from _load_rejects "
        "group by line order by line").fetchall()]
    bad_encoding = row(con, "select min(line) from _load_rejects "
                            "where error_type = 'INVALID ENCODING'")[0]
    con.execute("drop table _load_rejects; drop table _load_scans")
    if bad_encoding is not None:
        if "gb18030" in loaded.mapping.source.encodings and prepared.encoding == "utf-8":
            loaded.prepared = Prepared(prepared.original, transcode(
                prepared.original, "gb18030", workdir), "gb18030", prepared.delimiter,
                prepared.header, prepared.skip)
            loaded.file.encoding = "gb18030"
            loaded._records = None
            return _read_into_load(con, loaded, workdir)
        by_duckdb_line = {r.duckdb_line: r for r in loaded.records()}
        record = by_duckdb_line.get(bad_encoding)
        raise InputRejected(loaded.name, "bytes that are not valid UTF-8",
                            line=record.line if record else None)
    good = scalar(con, "select count(*) from _load")
    if good == 0 and not rejected_lines:
        loaded.file.status, loaded.file.note = "skipped", "the file has a header but no rows"
        return None
    if not rejected_lines:
        return []
    by_duckdb_line = {r.duckdb_line: r for r in loaded.records()}
    return [by_duckdb_line[line] for line in rejected_lines if line in by_duckdb_line]


def _strip_footer(con, loaded: LoadedFile, ragged: list[Record]) -> list[Record]:
    """A report's footer (totals, confidentiality, copyright) is cut off, never loaded."""
    patterns = [re.compile(p) for p in loaded.mapping.source.footer]
    if not patterns:
        return ragged
    first_column = ident(loaded.names[0])
    hints = scalar(con, f"select count(*) from _load where regexp_matches("
                        f"coalesce({first_column}, ''), $pattern)",
                   {"pattern": "|".join(f"(?:{p.pattern})" for p in patterns)})
    if not hints and not any(_is_footer(r, patterns) for r in ragged):
        return ragged
    records = loaded.records()
    start = next(r.ordinal for r in records if _is_footer(r, patterns))
    tail = records[start - 1:]
    for record in tail:
        if not (_is_footer(record, patterns) or sum(1 for c in record.fields if c.strip()) <= 1):
            raise InputRejected(loaded.name, "a data row after the report's footer",
                                line=record.line, value=record.fields[0][:80])
    ragged_ordinals = {r.ordinal for r in ragged}
    good_before = start - 1 - sum(1 for o in ragged_ordinals if o < start)
    con.execute("delete from _load where rowid >= $first", {"first": good_before})
    loaded.file.footer_lines = len(tail)
    return [r for r in ragged if r.ordinal < start]


def _is_footer(record: Record, patterns: list[re.Pattern]) -> bool:
    first = next((c.strip() for c in record.fields if c.strip()), "")
    return any(p.search(first) for p in patterns)


def _excel_limit(con, loaded: LoadedFile, ragged: list[Record]) -> None:
    rows = scalar(con, "select count(*) from _load") + len(ragged) + loaded.file.footer_lines
    if rows + 1 + loaded.prepared.skip in EXCEL_ROW_LIMITS:
        loaded.file.note = (f"possibly truncated: {rows + 1 + loaded.prepared.skip:,} lines is "
                            "exactly Excel's row limit")


def _parse(con, loaded: LoadedFile, columns: dict[str, str], ragged: list[Record],
           config: Config) -> None:
    """Typed rows into the entity's raw table, rejected ones into raw_rejects."""
    checked = _build_parsed(con, loaded, columns, config)
    reject_rows = _rejects(con, loaded, checked, ragged)
    if reject_rows:
        con.executemany("insert into raw_rejects values (?, ?, ?, ?, ?, ?, ?)", reject_rows)
    bad = " or ".join(f"{ident('_error_' + name)} is not null" for name, _ in checked) \
        or "false"
    _insert_rows(con, loaded, ragged, bad)
    file = loaded.file
    file.rows_rejected = len({r[3] for r in reject_rows})
    file.rows_loaded = scalar(con, f"select count(*) from _parsed where not ({bad})")
    file.rows_read = scalar(con, "select count(*) from _parsed") + len(ragged)
    if file.rows_read != file.rows_loaded + file.rows_rejected:
        raise AssertionError(f"{file.path.name}: {file.rows_read} rows read, "
                             f"{file.rows_loaded} loaded, {file.rows_rejected} rejected")
    rate = file.rows_rejected / file.rows_read if file.rows_read else 0
    if rate > config.reject_threshold:
        first = min(reject_rows, key=lambda r: r[2])
        raise InputRejected(
            file.path.name, f"{file.rows_rejected} of {file.rows_read} rows "
            f"({rate:.1%}) cannot be loaded, above the {config.reject_threshold:.1%} allowed; "
            f"the first: {first[6]}", line=first[2], column=first[4], value=first[5])


def _build_parsed(con, loaded: LoadedFile, columns: dict[str, str],
                  config: Config) -> list[tuple[str, str | None]]:
    """_parsed: each row's typed values and, per checked field, the reason it is rejected
    (null when it is not). Returns the checked fields with the export column each reads."""
    mapping, entity = loaded.mapping, loaded.mapping.entity
    parser = Parser(mapping, config.timezone, loaded.prepared.sheet_rows is not None)
    exprs, errors, checked, values = [], [], [], {}
    for f in entity.fields:
        column = mapping.columns.get(f.name)
        if f.name == "status" and mapping.status:
            parsed = parser.status(mapping.status, columns)
            source_column = mapping.status.column or mapping.status.won
        elif column is None or not all(c in columns for c in column.sources):
            exprs.append(f"null::{TYPES[f.type]} as {f.name}")
            continue
        else:
            parsed = parser.field(f, column, columns)
            source_column = column.sources[0]
        exprs.append(f"{parsed.value} as {f.name}")
        values[f.name] = parsed.value
        if parsed.rules:
            whens = " ".join(f"when {cond} then {parser.bind(reason)}"
                             for cond, reason in parsed.rules)
            errors.append(f"case {whens} end as {ident('_error_' + f.name)}")
            checked.append((f.name, source_column))
    if entity.one_of:
        present = [f for f in entity.one_of if f in values]
        condition = " and ".join(f"({values[f]}) is null" for f in present) or "true"
        many = ""
        if entity.only_one_reason and len(present) > 1:
            count = " + ".join(f"(({values[f]}) is not null)::integer" for f in present)
            many = f" when {count} > 1 then {parser.bind(entity.only_one_reason)}"
        named = present or [f for f in entity.one_of if f in mapping.columns]
        checked.append(("one_of", mapping.columns[named[0]].sources[0]))
        errors.append(f"case when {condition} then {parser.bind(entity.one_of_reason)}{many} "
                      "end as _error_one_of")
    for number, (name, condition, reason) in enumerate(entity.checks):
        typed = {f: f"({value})" for f, value in values.items()}
        checked.append((f"check_{number}", mapping.columns[name].sources[0]))
        errors.append(f"case when {condition.format(**typed)} then {parser.bind(reason)} end "
                      f"as _error_check_{number}")
    con.execute(
        "create or replace temp table _parsed as select rowid as _row, "
        f"{', '.join(exprs + errors)} from _load", parser.params)
    _refuse_unknown_values(con, loaded, columns)
    if entity.name == "deals":
        _reject_closed_without_date(con, loaded)
        checked.append(("closed_without_date", mapping.columns["close_date"].sources[0]))
    key = entity.fields[0]
    if mapping.columns[key.name].derive:
        parts = mapping.columns[key.name].derive
        _reject_repeated_derived_ids(con, key.name, parts, loaded.names)
        checked.append(("repeated_id", parts[0]))
    return checked


def _rejects(con, loaded: LoadedFile, checked: list[tuple[str, str | None]],
             ragged: list[Record]) -> list[tuple]:
    """raw_rejects rows: the ragged records, then one per rejected value."""
    file, columns = loaded.file, loaded.columns
    rows = [(file.file_id, file.path.name, r.line, r.ordinal, None,
             loaded.prepared.delimiter.join(r.fields)[:500],
             f"{len(r.fields)} fields where the header has {len(loaded.names)}")
            for r in ragged]
    record_of = _record_numbers([r.ordinal for r in ragged])
    for name, column in checked:
        error = ident(f"_error_{name}")
        value = f"_load.{ident(columns[column])}" if column in columns else "null"
        found = con.execute(
            f"select _parsed._row, {value}, {error} from _parsed "
            f"inner join _load on _load.rowid = _parsed._row "
            f"where {error} is not null order by 1").fetchall()
        for position, raw, reason in found:
            ordinal = record_of(position)
            rows.append((file.file_id, file.path.name, loaded.line_of(ordinal), ordinal,
                         column, raw, reason))
    return rows


def _insert_rows(con, loaded: LoadedFile, ragged: list[Record], bad: str) -> None:
    """The rows no rule rejected, with their record number among all the file's records."""
    entity = loaded.mapping.entity
    record_sql = "_row + 1"
    if ragged:
        shifts = [r.ordinal - i for i, r in enumerate(ragged, start=1)]
        con.execute("create or replace temp table _shifts as select unnest($s) as shift",
                    {"s": shifts})
        record_sql = "_row + 1 + (select count(*) from _shifts where shift <= _row)"
    names = ", ".join(f.name for f in entity.fields)
    con.execute(
        f"insert into {entity.table} ({', '.join(LINEAGE_COLUMNS)}, {names}) "
        f"select $source, $file_id, {record_sql}, {names} from _parsed where not ({bad})",
        {"source": loaded.mapping.source.name, "file_id": loaded.file.file_id})


def _refuse_unknown_values(con, loaded: LoadedFile, columns: dict[str, str]) -> None:
    """A stage, status or category the mapping does not know refuses the file: loading it
    would mean guessing where it sits in the pipeline."""
    mapping = loaded.mapping
    checks = []
    for f in mapping.entity.fields:
        column = mapping.columns.get(f.name)
        if column is None or column.derive or column.name not in columns:
            continue
        if f.type == "stage":
            checks.append((f.name, column.name, list(mapping.source.stage_labels()),
                           f"unknown stage; add it to the stages of {mapping.source.path.name}"))
        elif f.type == "category":
            values = mapping.values.get(f.name, {})
            if "default" not in values:
                checks.append((f.name, column.name, list(f.allowed),
                               f"unknown {f.name}; map it under values: in "
                               f"{mapping.source.path.name}"))
    for name, column, known, reason in checks:
        unknown = con.execute(
            f"select _load.{ident(columns[column])}, min(_parsed._row) from _parsed "
            f"inner join _load on _load.rowid = _parsed._row "
            f"where _parsed.{name} is not null and not list_contains($known, _parsed.{name}) "
            "group by 1 order by 2", {"known": known}).fetchall()
        if unknown:
            _refuse_value(loaded, unknown, column, f"{reason}. Known: {', '.join(known)}")
    if mapping.status and mapping.status.column:
        column = mapping.status.column
        unknown = con.execute(
            f"select _load.{ident(columns[column])}, min(_parsed._row) from _parsed "
            f"inner join _load on _load.rowid = _parsed._row "
            f"where _parsed.status is null and nullif(trim(_load.{ident(columns[column])}), '') "
            "is not null group by 1 order by 2").fetchall()
        if unknown:
            _refuse_value(loaded, unknown, column, "unknown status value; map it under "
                          f"status: values: in {mapping.source.path.name}")


def _refuse_value(loaded: LoadedFile, unknown: list[tuple], column: str, reason: str) -> None:
    value, position = unknown[0]
    others = f" ({len(unknown) - 1} more unknown values)" if len(unknown) > 1 else ""
    ragged = [r.ordinal for r in loaded.records()
              if len(r.fields) != len(loaded.names)]
    ordinal = _record_numbers(ragged)(position)
    raise InputRejected(loaded.name, reason + others, line=loaded.line_of(ordinal),
                        column=column, value=value)


def _reject_closed_without_date(con, loaded: LoadedFile) -> None:
    """A won or lost deal needs a close date: it decides the month the result counts in."""
    stages = loaded.mapping.source.stage_labels()
    labels = list(stages)
    statuses = [stages[label].status for label in labels]
    con.execute(
        "alter table _parsed add column _error_closed_without_date varchar; "
        "update _parsed set _error_closed_without_date = $reason "
        "where close_date is null and _error_close_date is null and coalesce(status, "
        "($statuses)[list_position($labels, stage)]) in ('won', 'lost')",
        {"reason": "a won or lost deal needs a close date", "labels": labels,
         "statuses": statuses})


def _reject_repeated_derived_ids(con, key: str, parts: tuple[str, ...],
                                 names: list[str]) -> None:
    """Without an id column, two rows of one file that agree on the columns the id is made
    of but differ elsewhere would become one record: the later ones are quarantined. A row
    repeated whole is the same record twice, and collapses like a repeated id."""
    content = "md5(concat_ws(chr(31), " + ", ".join(
        f"coalesce(_load.{ident(n)}, '')" for n in names) + "))"
    con.execute(
        "alter table _parsed add column _error_repeated_id varchar; "
        "update _parsed set _error_repeated_id = $reason where _row in ("
        "select _row from (select _parsed._row, "
        f"{content} as content, first_value({content}) over ("
        f"partition by _parsed.{key} order by _parsed._row) as first_content "
        "from _parsed inner join _load on _load.rowid = _parsed._row) "
        "where content <> first_content)",
        {"reason": f"the same {', '.join(parts)} as an earlier row but not the same row, "
                   "and the export has no id column to tell them apart"})


def _record_numbers(ragged_ordinals: list[int]):
    """Maps a loaded row's position to its record number among all data records."""
    shifts = [r - i for i, r in enumerate(sorted(ragged_ordinals), start=1)]

    def record_of(position: int) -> int:
        return position + 1 + sum(1 for s in shifts if s <= position)

    return record_of



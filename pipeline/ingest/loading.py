"""Loading one inbox file: read it with DuckDB, find its mapping, strip a report footer,
type every value, and insert the rows (or quarantine them, with a reason and a line).

A fault of one row costs that row: it goes to raw_rejects with file, line, column, value
and reason. A fault of the file as a whole raises InputRejected, and the caller refuses
that file alone (pipeline/ingest/inbox.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.config import Config
from pipeline.errors import ConfigError, InputRejected
from pipeline.ingest.canonical import LINEAGE_COLUMNS, TYPES
from pipeline.ingest.files import FileResult
from pipeline.ingest.mapping import Column, EntityMapping, Source
from pipeline.ingest.parsing import Parser, ident
from pipeline.ingest.readers import (
    EXCEL_ROW_LIMITS,
    MAX_LINE_BYTES,
    Prepared,
    Record,
    lines_of,
    mixed_line_ends,
    normalize_line_ends,
    prepare,
    records,
    redetect,
)
from pipeline.warehouse.db import scalar

BOM = "\ufeff"
# how much of a rejected value raw_rejects keeps
VALUE_CHARACTERS = 1000


def match_mapping(path: Path, columns: tuple[str, ...], sources: dict[str, Source],
                  line: int = 1) -> EntityMapping:
    """The mapping whose signature the header (on `line`) carries. The user's own mappings
    (sources_dirs) come first: when one of them matches, no built-in one is considered, and
    two of their files that both match are an error naming both. Among the exports of one
    file, or the built-in ones, the one that reads most of the header's columns wins, then
    the one with the longer signature; a tie is an error."""
    candidates = [m for s in sources.values() for m in s.entities.values()]

    def present(mapping: EntityMapping) -> set[str]:
        return {mapping.source.header_key(c) for c in columns}

    def reads(m: EntityMapping) -> int:
        wanted = {m.source.header_key(c) for col in m.columns.values() for c in col.sources}
        return len(wanted & present(m))

    matching = [m for m in candidates
                if {m.source.header_key(c) for c in m.signature} <= present(m)]
    if not matching:
        raise InputRejected(path.name, _unmatched(candidates, present, reads), line=line)
    own = [m for m in matching if not m.source.builtin]
    matching = own or matching
    files = list(dict.fromkeys(m.source.path for m in own))
    if len(files) > 1:
        first, second = (next(m for m in own if m.source.path == f) for f in files[:2])
        raise InputRejected(
            path.name, f"the header matches two of your own mappings, {first.title} "
            f"({first.source.shown_path}) and {second.title} ({second.source.shown_path}); "
            "remove the one you do not mean, or give one a signature column the other "
            "export lacks", line=line)

    def fit(m: EntityMapping) -> tuple[int, int]:
        return reads(m), len(m.signature)

    matching.sort(key=fit, reverse=True)
    if len(matching) > 1 and fit(matching[0]) == fit(matching[1]):
        first, second = matching[:2]
        files = " and ".join(dict.fromkeys(m.source.shown_path for m in (first, second)))
        change = (f"give one a signature column the other export lacks, in {files}"
                  if not first.source.builtin else
                  f"copy the mapping of the export you mean into {first.source.own_folder}; "
                  "your own is read instead of the built-in ones")
        raise InputRejected(path.name, "the header matches more than one export, "
                            f"{first.title} and {second.title}, equally well; {change}",
                            line=line)
    return matching[0]


def _unmatched(candidates: list[EntityMapping], present, reads) -> str:
    """Why a header matches no mapping: the closest, what it lacks, and what to change."""
    closest = max(candidates, key=lambda m: (reads(m), not m.source.builtin))
    lacking = [c for c in closest.signature
               if closest.source.header_key(c) not in present(closest)]
    if closest.source.builtin:
        change = (f"to read it, write a mapping for it in {closest.source.own_folder} "
                  "(see docs/adding-a-crm.md)")
    else:
        change = (f"if the file is that export, change its signature or columns in "
                  f"{closest.source.shown_path}; if it is another, write a mapping for it in "
                  f"{closest.source.own_folder}")
    return (f"the header matches no known export; closest is {closest.title} "
            f"({closest.source.shown_path}), which also needs {lacking}; {change}")


def check_given_values(con, sources: dict[str, Source], timezone: str) -> None:
    """Each value a mapping gives a field (`value:`, `default:`) is read as an exported value
    of that field would be; one that would be quarantined is an error of the mapping, before
    any file is read, rather than a reason on every row."""
    faults = []
    for mapping in (m for s in sources.values() for m in s.entities.values()):
        for f in mapping.entity.fields:
            column = mapping.columns.get(f.name)
            if column is None or column.given is None:
                continue
            parser = Parser(mapping, timezone, from_xlsx=False)
            parsed = parser.field(f, Column(value=column.given), {})
            if not parsed.rules:
                continue
            checks = ", ".join(f"case when {condition} then {parser.bind(reason)} end"
                               for condition, reason in parsed.rules)
            reasons = [r for r in con.execute(f"select {checks}", parser.params).fetchone() if r]
            if reasons:
                key = "value" if column.value is not None else "default"
                faults.append(f"{mapping.source.shown_path}: {mapping.key}: {f.name}: the "
                              f"{key} {column.given!r} cannot be read: {reasons[0]}")
    if faults:
        raise ConfigError("; ".join(faults))


def signatures_of(sources: dict[str, Source]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Each known header signature, with the encodings its mappings declare."""
    found: dict[tuple[str, ...], tuple[str, ...]] = {}
    for mapping in (m for s in sources.values() for m in s.entities.values()):
        found[mapping.signature] = found.get(mapping.signature, ()) + mapping.source.encodings
    return found


@dataclass
class LoadedFile:
    """One file being loaded: its facts, its mapping, and what reading it found."""

    file: FileResult
    prepared: Prepared
    names: list[str]
    workdir: Path
    signatures: dict[tuple[str, ...], tuple[str, ...]]
    warn: Callable[[str], None]
    mapping: EntityMapping | None = None
    columns: dict[str, str] = field(default_factory=dict)  # export column -> DuckDB column
    twins: dict[str, list[str]] = field(default_factory=dict)  # -> its other copies
    ragged: list[tuple[Record, str]] = field(default_factory=list)  # records DuckDB refused
    header_again: list[int] = field(default_factory=list)  # _load rows repeating the header
    nul_columns: frozenset[str] = frozenset()  # DuckDB columns with a NUL byte in a value

    @property
    def name(self) -> str:
        return self.file.path.name

    def record_of(self, position: int) -> int:
        """A _load row's record number among all the file's data records."""
        return _record_numbers([r.ordinal for r, _ in self.ragged])(position)

    def line_of(self, position: int) -> int:
        ordinal = self.record_of(position)
        return lines_of(self.prepared, [ordinal]).get(ordinal, ordinal + 1)


def load_file(con, file: FileResult, sources: dict[str, Source], config: Config,
              workdir: Path, warn: Callable[[str], None]) -> None:
    """One file of the inbox into its raw table; raises InputRejected when it cannot be
    read as the export it claims to be (the caller refuses that file alone)."""
    signatures = signatures_of(sources)
    prepared = prepare(file.path, workdir, signatures, str.casefold)
    file.prepared, file.encoding = prepared, prepared.encoding
    if not any(prepared.header):
        file.rows_read = file.rows_rejected = 0
        file.status, file.note = "skipped", "the file is empty"
        return
    loaded = LoadedFile(file, prepared, _unique_names(prepared.header), workdir, signatures,
                        warn)
    has_rows = _read_into_load(con, loaded)
    prepared = loaded.prepared
    try:
        loaded.mapping = file.mapping = match_mapping(file.path, prepared.header, sources,
                                                      prepared.skip + 1)
    except InputRejected:
        if has_rows:
            raise
    if not has_rows:
        file.rows_rejected = 0
        file.status, file.note = "skipped", "the file has a header but no rows"
        return
    loaded.columns = _resolve_columns(loaded)
    _strip_footer(con, loaded)
    _excel_limit(con, loaded)
    _find_repeated_headers(con, loaded)
    _scan_values(con, loaded)
    _parse(con, loaded, config)


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
    """Export column (as the mapping names it) -> the DuckDB column holding it. A column
    the header has twice, read without `occurrence:`, is read from its first copy; the rows
    where the copies differ are quarantined (loaded.twins)."""
    mapping, header = loaded.mapping, loaded.prepared.header
    key = mapping.source.header_key
    positions: dict[str, list[int]] = {}
    for index, column in enumerate(header):
        positions.setdefault(key(column), []).append(index)
    wanted = [(c, name) for c in mapping.columns.values() for name in c.sources]
    if mapping.status:
        rule = mapping.status
        wanted += [(None, name) for name in (rule.column, rule.closed, rule.won) if name]
    resolved: dict[str, str] = {}
    line = loaded.prepared.skip + 1
    for column, name in wanted:
        found = positions.get(key(name), [])
        occurrence = column.occurrence if column else None
        if not found:
            if column is not None and column.optional:
                continue
            raise InputRejected(loaded.name, f"required column missing for {mapping.title}",
                                line=line, column=name)
        if (occurrence or 1) > len(found):
            raise InputRejected(loaded.name, f"the mapping reads occurrence {occurrence} of "
                                f"this column, the header has {len(found)}",
                                line=line, column=name)
        resolved[name] = loaded.names[found[(occurrence or 1) - 1]]
        if len(found) > 1 and occurrence is None:
            loaded.twins[name] = [loaded.names[i] for i in found[1:]]
    return resolved


def _read_csv(con, prepared: Prepared, names: list[str]) -> str | None:
    """DuckDB reads the file into _load, and what it cannot read into _load_rejects; the
    error when it cannot read the file at all."""
    con.execute("drop table if exists _load_rejects; drop table if exists _load_scans")
    try:
        con.execute(
            "create or replace temp table _load as select * from read_csv($path, "
            "header = true, skip = $skip, auto_detect = false, delim = $delim, quote = '\"', "
            "escape = '\"', columns = $columns, max_line_size = $max_line, "
            "store_rejects = true, rejects_table = '_load_rejects', "
            "rejects_scan = '_load_scans')",
            {"path": str(prepared.path), "skip": prepared.skip, "delim": prepared.delimiter,
             "columns": {name: "VARCHAR" for name in names}, "max_line": MAX_LINE_BYTES})
    except duckdb.Error as error:
        return str(error).splitlines()[0]
    return None


def _read_into_load(con, loaded: LoadedFile) -> bool:
    """The file into _load; the records DuckDB could not split into the header's columns
    into loaded.ragged, each with its reason. A file whose top lines were UTF-8 but a later
    one is not is told again from its bytes; one whose records end in more than one way is
    rewritten with one. False when the file holds no rows."""
    redetected = normalized = False
    while True:
        error = _read_csv(con, loaded.prepared, loaded.names)
        rejected = [] if error else con.execute(
            "select line, min(error_type), min(error_message) from _load_rejects "
            "group by line order by line").fetchall()
        bad_bytes = [line for line, kind, _ in rejected if kind == "INVALID ENCODING"]
        if bad_bytes and loaded.prepared.encoding == "utf-8" and not redetected:
            loaded.prepared = redetect(loaded.prepared, loaded.workdir, loaded.signatures,
                                       str.casefold)
            loaded.names = _unique_names(loaded.prepared.header)
            loaded.file.prepared = loaded.prepared
            loaded.file.encoding = loaded.prepared.encoding
            redetected = True
        elif (error or (rejected and not bad_bytes)) and not normalized \
                and mixed_line_ends(loaded.prepared.path):
            loaded.prepared = normalize_line_ends(loaded.prepared, loaded.workdir)
            loaded.file.prepared = loaded.prepared
            normalized = True
        else:
            break
    if error:
        error = error.replace(str(loaded.prepared.path), loaded.name)
        raise InputRejected(loaded.name, f"cannot be read as CSV: {error}")
    con.execute("drop table _load_rejects; drop table _load_scans")
    found = _records_at(loaded.prepared, {line for line, _, _ in rejected})
    if bad_bytes:
        record = found.get(bad_bytes[0])
        raise InputRejected(loaded.name, "bytes that are not valid UTF-8",
                            line=record.line if record else None)
    good = scalar(con, "select count(*) from _load")
    loaded.file.rows_read = good + len(rejected)
    width = len(loaded.names)
    for line, _, message in rejected:
        record = found.get(line)
        if record is None:
            continue
        reason = (f"{record.width} fields where the header has {width}"
                  if record.width != width else
                  f"cannot be split into the header's {width} columns: {message}")
        loaded.ragged.append((record, reason))
    return good > 0 or bool(rejected)


def _records_at(prepared: Prepared, duckdb_lines: set[int]) -> dict[int, Record]:
    """The records DuckDB counts at these lines, in one pass."""
    if not duckdb_lines:
        return {}
    found, last = {}, max(duckdb_lines)
    for record in records(prepared):
        if record.duckdb_line in duckdb_lines:
            found[record.duckdb_line] = record
        if record.duckdb_line >= last:
            break
    return found


def _strip_footer(con, loaded: LoadedFile) -> None:
    """A report's footer (totals, confidentiality, copyright) is cut off, never loaded."""
    patterns = [re.compile(p) for p in loaded.mapping.source.footer]
    if not patterns:
        return
    first_column = ident(loaded.names[0])
    hints = scalar(con, f"select count(*) from _load where regexp_matches("
                        f"coalesce({first_column}, ''), $pattern)",
                   {"pattern": "|".join(f"(?:{p.pattern})" for p in patterns)})
    if not hints and not any(_is_footer(r, patterns) for r, _ in loaded.ragged):
        return
    start = tail = 0
    for record in records(loaded.prepared):
        if not start and _is_footer(record, patterns):
            start = record.ordinal
        if start:
            if not (_is_footer(record, patterns)
                    or sum(1 for c in record.fields if c.strip()) <= 1):
                raise InputRejected(loaded.name, "a data row after the report's footer",
                                    line=record.line, value=record.fields[0][:80])
            tail += 1
    if not start:
        return
    good_before = start - 1 - sum(1 for r, _ in loaded.ragged if r.ordinal < start)
    con.execute("delete from _load where rowid >= $first", {"first": good_before})
    loaded.file.footer_lines = tail
    loaded.ragged = [(r, reason) for r, reason in loaded.ragged if r.ordinal < start]
    loaded.file.rows_read = good_before + len(loaded.ragged)


def _is_footer(record: Record, patterns: list[re.Pattern]) -> bool:
    first = next((c.strip() for c in record.fields if c.strip()), "")
    return any(p.search(first) for p in patterns)


def _excel_limit(con, loaded: LoadedFile) -> None:
    rows = scalar(con, "select count(*) from _load") + len(loaded.ragged) \
        + loaded.file.footer_lines
    if rows + 1 + loaded.prepared.skip in EXCEL_ROW_LIMITS:
        loaded.file.note = (f"possibly truncated: {rows + 1 + loaded.prepared.skip:,} lines is "
                            "exactly Excel's row limit")


def _find_repeated_headers(con, loaded: LoadedFile) -> None:
    """Two exports joined into one file: the second's header is a row of the first. A row
    that repeats the header as it is (a BOM before it or not) is quarantined, and the rows
    after it load; a header with its columns in another order refuses the file, since the
    rows after it would land in the wrong columns."""
    header = loaded.prepared.header
    key = loaded.mapping.source.header_key
    signature = loaded.mapping.signature
    probe_name = next(h for h in header if key(h) == key(signature[0]))
    probe = loaded.names[header.index(probe_name)]
    loaded.columns.setdefault(probe_name, probe)
    candidates = con.execute(
        f"select rowid, * from _load where lower(trim({_unmarked(ident(probe))})) "
        "in (select unnest($names)) order by rowid",
        {"names": [h.lower() for h in header]}).fetchall()
    wanted = [key(h) for h in header]
    for position, *values in candidates:
        cells = [key((v or "").lstrip(BOM).strip().strip('"').strip()) for v in values]
        if cells == wanted:
            loaded.header_again.append(position)
        elif {key(c) for c in signature} <= set(cells):
            raise InputRejected(loaded.name, "a second header, its columns in another "
                                "order: two different exports joined into one file",
                                line=loaded.line_of(position), value=str(values[0])[:80])


def _scan_values(con, loaded: LoadedFile) -> None:
    """One pass over the values read: the columns holding a NUL byte (their rows are
    quarantined), and a byte order mark (U+FEFF) at the start of a value (a file joined onto
    another without its header), which is no part of it: removed, with a warning."""
    columns = sorted(set(loaded.columns.values()))
    counts = con.execute("select " + ", ".join(
        f"count(*) filter (where starts_with({ident(c)}, chr(65279))), "
        f"bool_or(contains({ident(c)}, chr(0)))" for c in columns)
        + " from _load where not list_contains($skip, rowid)",
        {"skip": loaded.header_again}).fetchone()
    loaded.nul_columns = frozenset(c for c, nul in zip(columns, counts[1::2], strict=True)
                                   if nul)
    for column, count in zip(columns, counts[::2], strict=True):
        if not count:
            continue
        position, value = con.execute(
            f"select rowid, {ident(column)} from _load where starts_with({ident(column)}, "
            "chr(65279)) and not list_contains($skip, rowid) order by rowid limit 1",
            {"skip": loaded.header_again}).fetchone()
        con.execute(f"update _load set {ident(column)} = {_unmarked(ident(column))} "
                    f"where starts_with({ident(column)}, chr(65279)) "
                    "and not list_contains($skip, rowid)", {"skip": loaded.header_again})
        export = next(e for e, c in loaded.columns.items() if c == column)
        loaded.warn(str(InputRejected(
            loaded.name, f"began with a byte order mark (U+FEFF), removed ({count} values "
            "of this column did)", line=loaded.line_of(position), column=export,
            value=value[:80])))


def _unmarked(column: str) -> str:
    """A value without the BOM before it; one that was quoted after the BOM (so read as
    unquoted, quotes and all) without its quotes."""
    bare = f"ltrim({column}, chr(65279))"
    return (f"case when regexp_full_match({bare}, '\"[^\"]*(\"\"[^\"]*)*\"') "
            f"then replace({bare}[2:-2], '\"\"', '\"') else {bare} end")


def _parse(con, loaded: LoadedFile, config: Config) -> None:
    """Typed rows into the entity's raw table, rejected ones into raw_rejects; more than
    reject_threshold of the rows rejected refuses the file, before any row is inserted."""
    checked = _build_parsed(con, loaded, config)
    reject_rows = _rejects(con, loaded, checked)
    if reject_rows:
        con.executemany("insert into raw_rejects values (?, ?, ?, ?, ?, ?, ?)", reject_rows)
    bad = " or ".join(f"{ident('_error_' + name)} is not null" for name, _ in checked) \
        or "false"
    file = loaded.file
    file.rows_rejected = len({r[3] for r in reject_rows})
    file.rows_loaded = scalar(con, f"select count(*) from _parsed where not ({bad})")
    file.rows_read = scalar(con, "select count(*) from _parsed") + len(loaded.ragged)
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
    _insert_rows(con, loaded, bad)


def _build_parsed(con, loaded: LoadedFile, config: Config) -> list[tuple[str, str | None]]:
    """_parsed: each row's typed values and, per checked field, the reason it is rejected
    (null when it is not). Returns the checked fields with the export column each reads."""
    mapping, entity, columns = loaded.mapping, loaded.mapping.entity, loaded.columns
    parser = Parser(mapping, config.timezone, loaded.prepared.sheet_rows is not None,
                    loaded.nul_columns)
    exprs, errors, checked, values = [], [], [], {}
    for f in entity.fields:
        column = mapping.columns.get(f.name)
        if f.name == "status" and mapping.status:
            parsed = parser.status(mapping.status, columns)
            source_column = mapping.status.column or mapping.status.won
        elif column is None or (column.given is None
                                and not all(c in columns for c in column.sources)):
            exprs.append(f"null::{TYPES[f.type]} as {f.name}")
            continue
        else:
            parsed = parser.field(f, column, columns)
            source_column = column.label
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
        checked.append(("one_of", mapping.columns[named[0]].label))
        errors.append(f"case when {condition} then {parser.bind(entity.one_of_reason)}{many} "
                      "end as _error_one_of")
    for number, (name, condition, reason) in enumerate(entity.checks):
        typed = {f: f"({value})" for f, value in values.items()}
        checked.append((f"check_{number}", mapping.columns[name].label))
        errors.append(f"case when {condition.format(**typed)} then {parser.bind(reason)} end "
                      f"as _error_check_{number}")
    for number, (name, others) in enumerate(loaded.twins.items()):
        copies = [columns[name], *others]
        differ = " or ".join(f"{parser.raw(columns[name])} is distinct from {parser.raw(c)}"
                             for c in others)
        shown = ", ".join(f"'''' || coalesce({ident(c)}, '') || ''''" for c in copies)
        reason = parser.bind(f"the header has this column {len(copies)} times and the "
                             "copies differ: ")
        checked.append((f"twin_{number}", name))
        errors.append(f"case when {differ} then {reason} || concat_ws(' and ', {shown}) end "
                      f"as _error_twin_{number}")
    if loaded.header_again:
        checked.append(("header_again", next(iter(columns))))
        errors.append(f"case when list_contains({parser.bind(loaded.header_again)}, rowid) "
                      f"then {parser.bind('the header again: two exports joined into one file')}"
                      " end as _error_header_again")
    con.execute(
        "create or replace temp table _parsed as select rowid as _row, "
        f"{', '.join(exprs + errors)} from _load", parser.params)
    if entity.name == "deals":
        _reject_closed_without_date(con, loaded)
        checked.append(("closed_without_date", mapping.columns["close_date"].label))
    key = entity.fields[0]
    if mapping.columns[key.name].derive:
        parts = mapping.columns[key.name].derive
        _reject_repeated_derived_ids(con, key.name, parts, loaded.names)
        checked.append(("repeated_id", parts[0]))
    return checked


def _rejects(con, loaded: LoadedFile, checked: list[tuple[str, str | None]]) -> list[tuple]:
    """raw_rejects rows: the ragged records, then one per rejected value."""
    file, columns = loaded.file, loaded.columns
    found = [(r.ordinal, None, r.text, reason) for r, reason in loaded.ragged]
    any_error = " or ".join(f"{ident('_error_' + name)} is not null" for name, _ in checked)
    if not any_error or not scalar(con, f"select count(*) from _parsed where {any_error}"):
        checked = []
    for name, column in checked:
        error = ident(f"_error_{name}")
        value = f"left(_load.{ident(columns[column])}, {VALUE_CHARACTERS})" \
            if column in columns else "null"
        for position, raw, reason in con.execute(
                f"select _parsed._row, {value}, {error} from _parsed "
                f"inner join _load on _load.rowid = _parsed._row "
                f"where {error} is not null order by 1").fetchall():
            if name == "header_again" or position not in loaded.header_again:
                found.append((loaded.record_of(position), column, raw, reason))
    lines = {r.ordinal: r.line for r, _ in loaded.ragged}
    lines.update(lines_of(loaded.prepared, {f[0] for f in found} - set(lines)))
    return [(file.file_id, file.path.name, lines.get(ordinal, ordinal + 1), ordinal, column,
             raw, reason) for ordinal, column, raw, reason in found]


def _insert_rows(con, loaded: LoadedFile, bad: str) -> None:
    """The rows no rule rejected, with their record number among all the file's records."""
    entity = loaded.mapping.entity
    record_sql = "_row + 1"
    if loaded.ragged:
        shifts = [r.ordinal - i for i, (r, _) in enumerate(loaded.ragged, start=1)]
        con.execute("create or replace temp table _shifts as select unnest($s) as shift",
                    {"s": shifts})
        record_sql = "_row + 1 + (select count(*) from _shifts where shift <= _row)"
    names = ", ".join(f.name for f in entity.fields)
    con.execute(
        f"insert into {entity.table} ({', '.join(LINEAGE_COLUMNS)}, {names}) "
        f"select $source, $file_id, {record_sql}, {names} from _parsed where not ({bad})",
        {"source": loaded.mapping.source.name, "file_id": loaded.file.file_id})


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



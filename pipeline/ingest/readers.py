"""Readers: any inbox file -> a UTF-8 CSV that DuckDB reads, and the facts about it.

DuckDB reads every file under a name of the run's own (a link, or a converted copy in the
run's temporary folder), never the inbox's name, which may hold characters it would take
for a glob. UTF-8 files (with or without a BOM) are linked as they are. UTF-16 (Excel's
"Unicode text", with a BOM or without) and the Windows code pages Excel re-saves in (GB18030
on a Chinese machine, Windows-1252 on a Western one, told apart by pipeline/ingest/encodings.py) are
transcoded strictly: a byte that does not decode refuses the file, never a row skipped. A
file whose records end in more than one way (CRLF, LF, a lone CR) is rewritten with one.
XLSX sheets are written out as CSV with ISO dates.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path

from pipeline.errors import InputRejected
from pipeline.ingest.encodings import CP1252, GB18030, detect, utf16_without_bom

DELIMITERS = (",", ";", "\t")
HEADER_SEARCH_LINES = 30
HEAD_BYTES = 1 << 16
XLSX_SUFFIXES = (".xlsx", ".xlsm")
# Excel cuts a sheet at these many rows; a file exactly this long may have been cut.
EXCEL_ROW_LIMITS = (1_048_576, 65_536)
ISO_FORMATS = {"date": ("%Y-%m-%d",), "timestamp": ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"),
               "month": ("%Y-%m-%d",)}
# the longest record read (a long Description); a longer one is quarantined
MAX_LINE_BYTES = 1 << 28
# how much of each value a Record keeps, for messages
PREVIEW_CHARACTERS = 200
UTF8 = ("utf-8", "utf-8-sig")
# names a mapping may declare for the encodings Excel re-saves in
ENCODING_NAMES = {"gb18030": GB18030, "gbk": GB18030, "gb2312": GB18030, "cp936": GB18030,
                  "cp1252": CP1252, "windows-1252": CP1252, "latin-1": CP1252,
                  "iso-8859-1": CP1252}

csv.field_size_limit(MAX_LINE_BYTES)


@dataclass(frozen=True)
class Prepared:
    """A file ready for DuckDB: where to read it, how, and where its header is."""

    original: Path
    path: Path
    encoding: str
    delimiter: str
    header: tuple[str, ...]
    skip: int  # lines above the header row (report titles)
    sheet_rows: tuple[int, ...] | None = None  # XLSX: the sheet row of each data record


@dataclass(frozen=True)
class Record:
    ordinal: int      # 1 for the first data record after the header
    line: int         # the physical line it starts on (the sheet row for XLSX)
    duckdb_line: int  # DuckDB's count: blank lines count, a multi-line record counts once
    width: int        # how many fields it has
    fields: tuple[str, ...]  # each cut to PREVIEW_CHARACTERS: for messages only

    @property
    def text(self) -> str:
        return ",".join(self.fields)[:500]


def prepare(path: Path, workdir: Path, signatures: dict[tuple[str, ...], tuple[str, ...]],
            header_key, encoding: str | None = None) -> Prepared:
    """Decode (or convert) the file and find its header row among the first lines.
    `signatures` maps each known header signature to the encodings its mapping declares."""
    workdir.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in XLSX_SUFFIXES:
        return _prepare_xlsx(path, workdir, signatures, header_key)
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    encoding = encoding or _encoding(path, head, signatures, header_key)
    if encoding in UTF8:
        readable = _link(path, workdir / "export.csv")
    else:
        readable = transcode(path, encoding, workdir / "export.utf8.csv")
        with readable.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    text = head.decode("utf-8-sig", errors="replace")
    if len(head) == HEAD_BYTES:
        text = text[:text.rfind("\n") + 1] or text
    skip, delimiter, header = _find_header(text.splitlines(), signatures, header_key)
    return Prepared(path, readable, encoding, delimiter, header, skip)


def redetect(prepared: Prepared, workdir: Path, signatures, header_key,
             declared: tuple[str, ...]) -> Prepared:
    """A file whose first lines were UTF-8 but a later one is not: what it really is."""
    hint = _declared_hint(declared)
    encoding = detect(prepared.original, hint)
    return prepare(prepared.original, workdir, signatures, header_key, encoding)


def _link(path: Path, target: Path) -> Path:
    target.unlink(missing_ok=True)
    try:
        os.symlink(path.resolve(), target)
    except OSError:
        shutil.copyfile(path, target)
    return target


def _encoding(path: Path, head: bytes, signatures, header_key) -> str:
    """A BOM first; UTF-16 by its NUL bytes; UTF-8 when the top lines are (a bad byte
    further down is found by DuckDB, and the file told again); else from the bytes."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf16 = utf16_without_bom(head)
    if utf16:
        return utf16
    complete = head[:head.rfind(b"\n") + 1] if len(head) == HEAD_BYTES else head
    try:
        complete.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return detect(path, _header_hint(head, signatures, header_key))


def _header_hint(head: bytes, signatures, header_key) -> str | None:
    """The one encoding the header reads as a known export in, else the one its mapping
    declares."""
    found = {}
    for encoding in (GB18030, CP1252):
        lines = head.decode(encoding, errors="replace").splitlines()
        signature = _matching_signature(lines, signatures, header_key)
        if signature is not None:
            found[encoding] = signature
    if len(found) == 1:
        return next(iter(found))
    return _declared_hint(tuple(e for s in found.values() for e in signatures[s]))


def _declared_hint(declared: tuple[str, ...]) -> str | None:
    named = {ENCODING_NAMES[e] for e in declared if e in ENCODING_NAMES}
    return named.pop() if len(named) == 1 else None


def transcode(path: Path, encoding: str, target: Path) -> Path:
    """A strict UTF-8 copy of a file in another encoding; newlines are kept as they are."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    done, line = 0, 1
    with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as out:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as error:
                raise InputRejected(path.name, f"bytes that are not valid {encoding}",
                                    line=line + _line_breaks(encoding, chunk[:error.start])
                                    ) from error
            out.write(text.lstrip("\ufeff") if done == 0 else text)
            done += len(chunk)
            line += _line_breaks(encoding, chunk)
        out.write(decoder.decode(b"", final=True))
    return target


def _line_breaks(encoding: str, data: bytes) -> int:
    return data.count("\n".encode(encoding)[-2:] if encoding.startswith("utf-16") else b"\n")


def mixed_line_ends(path: Path) -> bool:
    """Whether the file's line breaks are of more than one kind (CRLF, LF, a lone CR)."""
    crlf = lf = cr = 0
    last = b""
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            joined = last + chunk
            crlf += joined.count(b"\r\n") - last.count(b"\r\n")
            lf += chunk.count(b"\n")
            cr += chunk.count(b"\r")
            last = chunk[-1:]
    return sum(1 for n in (crlf, lf - crlf, cr - crlf) if n) > 1


def normalize_line_ends(prepared: Prepared, workdir: Path) -> Prepared:
    """A copy whose records all end in CRLF; a line break inside a quoted value is kept as
    it is, so every record starts on the line it started on."""
    target = workdir / "export.lines.csv"
    with prepared.path.open(encoding="utf-8-sig", newline="") as source, \
            target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=prepared.delimiter, lineterminator="\r\n")
        for row in csv.reader(source, delimiter=prepared.delimiter):
            writer.writerow(row)
    return replace(prepared, path=target)


def _find_header(lines: list[str], signatures, header_key):
    """The first of the top lines that carries a known signature; else the first line."""
    wanted = [{header_key(c) for c in s} for s in signatures]
    for index, line in enumerate(lines[:HEADER_SEARCH_LINES]):
        delimiter = max(DELIMITERS, key=line.count)
        cells = _cells(line, delimiter)
        present = {header_key(c) for c in cells}
        if any(s <= present for s in wanted):
            return index, delimiter, cells
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    line = lines[first] if lines else ""
    delimiter = max(DELIMITERS, key=line.count)
    return first, delimiter, _cells(line, delimiter)


def _matching_signature(lines: list[str], signatures, header_key):
    for line in lines[:HEADER_SEARCH_LINES]:
        present = {header_key(c) for c in _cells(line, max(DELIMITERS, key=line.count))}
        for signature in signatures:
            if {header_key(c) for c in signature} <= present:
                return signature
    return None


def _cells(line: str, delimiter: str) -> tuple[str, ...]:
    row = next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
    return tuple(cell.strip().lstrip("\ufeff") for cell in row)


def records(prepared: Prepared) -> Iterator[Record]:
    """Every data record with the line it starts on: a pass over the file in Python, made
    only when a line has to be named (a reject, a footer, an unknown value). Each record
    keeps only the start of its values, so memory stays small whatever a value's size."""
    with prepared.path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=prepared.delimiter)
        duckdb_line = 0
        for _ in range(prepared.skip + 1):
            next(reader, None)
            duckdb_line += 1
        start = reader.line_num + 1
        ordinal = 0
        for row in reader:
            duckdb_line += 1
            if any(cell.strip() for cell in row):
                ordinal += 1
                line = prepared.sheet_rows[ordinal - 1] if prepared.sheet_rows else start
                yield Record(ordinal, line, duckdb_line, len(row),
                             tuple(cell[:PREVIEW_CHARACTERS] for cell in row))
            start = reader.line_num + 1


def lines_of(prepared: Prepared, ordinals) -> dict[int, int]:
    """The line each of the given records starts on, in one pass."""
    wanted = set(ordinals)
    if not wanted:
        return {}
    if prepared.sheet_rows:
        return {o: prepared.sheet_rows[o - 1] for o in wanted if o <= len(prepared.sheet_rows)}
    found, last = {}, max(wanted)
    for record in records(prepared):
        if record.ordinal in wanted:
            found[record.ordinal] = record.line
        if record.ordinal >= last:
            break
    return found


def _prepare_xlsx(path: Path, workdir: Path, signatures, header_key) -> Prepared:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own error types for broken files
        raise InputRejected(path.name, f"cannot be read as a workbook: {error}") from error
    wanted = [{header_key(c) for c in s} for s in signatures]
    chosen = None
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        for index, row in enumerate(rows[:HEADER_SEARCH_LINES]):
            present = {header_key(_cell(c)) for c in row}
            if any(s <= present for s in wanted):
                chosen = (rows, index)
                break
        if chosen:
            break
    if chosen is None:
        first = book.get_sheet_by_name(book.sheet_names[0]).to_python() if book.sheet_names \
            else []
        chosen = (first, 0)
    rows, header_index = chosen
    target = workdir / "export.xlsx.csv"
    sheet_rows = []
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        for number, row in enumerate(rows[header_index:], start=header_index + 1):
            cells = [_cell(c) for c in row]
            if number == header_index + 1 or any(c.strip() for c in cells):
                writer.writerow(cells)
                sheet_rows.append(number)
    header = tuple(_cell(c).strip() for c in rows[header_index]) if rows else ()
    return Prepared(path, target, "xlsx", ",", header, 0, tuple(sheet_rows[1:]))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)

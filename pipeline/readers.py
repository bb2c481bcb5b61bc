"""Readers: any inbox file -> a UTF-8 CSV that DuckDB reads, and the facts about it.

UTF-8 files (with or without a BOM) are read where they are. UTF-16 (Excel's "Unicode text")
and GB18030/GBK (Chinese Excel) are transcoded strictly: a byte that does not decode refuses
the file, never a row skipped. XLSX sheets are written out as CSV with ISO dates.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from pipeline.errors import InputRejected

DELIMITERS = (",", ";", "\t")
HEADER_SEARCH_LINES = 30
XLSX_SUFFIXES = (".xlsx", ".xlsm")
# Excel cuts a sheet at these many rows; a file exactly this long may have been cut.
EXCEL_ROW_LIMITS = (1_048_576, 65_536)
ISO_FORMATS = {"date": ("%Y-%m-%d",), "timestamp": ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"),
               "month": ("%Y-%m-%d",)}


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
    fields: tuple[str, ...]


def prepare(path: Path, workdir: Path, signatures: list[tuple[str, ...]],
            allowed_encodings: set[str], header_key) -> Prepared:
    """Decode (or convert) the file and find its header row among the first lines."""
    if path.suffix.lower() in XLSX_SUFFIXES:
        return _prepare_xlsx(path, workdir, signatures, header_key)
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    encoding = _encoding(path, head, allowed_encodings)
    readable = path
    if encoding not in ("utf-8", "utf-8-sig"):
        readable = transcode(path, encoding, workdir)
        with readable.open("rb") as handle:
            head = handle.read(1 << 16)
    text = head.decode("utf-8-sig", errors="replace")
    if len(head) == 1 << 16:
        text = text[:text.rfind("\n") + 1] or text
    lines = text.splitlines()
    skip, delimiter, header = _find_header(lines, signatures, header_key)
    return Prepared(path, readable, encoding, delimiter, header, skip)


def _encoding(path: Path, head: bytes, allowed: set[str]) -> str:
    """BOM first; else the first top line that is not UTF-8 names the encoding (one the
    mappings declare); a bad byte further down is named by its line when transcoding."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    lines = head.split(b"\n")
    complete = lines[:-1] if len(head) == 1 << 16 else lines
    for number, line in enumerate(complete[:HEADER_SEARCH_LINES], start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            for candidate in sorted(allowed):
                try:
                    line.decode(candidate)
                    return candidate
                except UnicodeDecodeError:
                    continue
            raise InputRejected(path.name, "bytes that are not valid UTF-8 (and no source "
                                "mapping declares another encoding that decodes them)",
                                line=number) from error
    return "utf-8"


def transcode(path: Path, encoding: str, workdir: Path) -> Path:
    """A strict UTF-8 copy of a file in another encoding; newlines are kept as they are."""
    target = workdir / f"{path.name}.utf8.csv"
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    done, line = 0, 1
    with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as out:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as error:
                raise InputRejected(path.name, f"bytes that are not valid {encoding}",
                                    line=line + chunk[:error.start].count(b"\n")) from error
            out.write(text.lstrip("\ufeff") if done == 0 else text)
            done += len(chunk)
            line += chunk.count(b"\n")
        out.write(decoder.decode(b"", final=True))
    return target


def _find_header(lines: list[str], signatures: list[tuple[str, ...]], header_key):
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


def _cells(line: str, delimiter: str) -> tuple[str, ...]:
    row = next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
    return tuple(cell.strip().lstrip("\ufeff") for cell in row)


def scan_records(prepared: Prepared) -> list[Record]:
    """Every data record with the line it starts on; a pass over the file in Python, made
    only when a line has to be named (a reject, a footer, an unknown value)."""
    records: list[Record] = []
    with prepared.path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=prepared.delimiter)
        duckdb_line = 0
        for _ in range(prepared.skip + 1):
            next(reader, None)
            duckdb_line += 1
        start = reader.line_num + 1
        for row in reader:
            duckdb_line += 1
            if any(cell.strip() for cell in row):
                ordinal = len(records) + 1
                line = prepared.sheet_rows[ordinal - 1] if prepared.sheet_rows else start
                records.append(Record(ordinal, line, duckdb_line, tuple(row)))
            start = reader.line_num + 1
    return records


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
    target = workdir / f"{path.name}.csv"
    sheet_rows = []
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
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

"""Rows already loaded that a check across files finds bad, or worth a warning: each named
by its file, line, column and value. A bad row leaves its raw table for raw_rejects and its
file's counts follow (rows read = rows loaded + rows rejected still holds); a row that loads
with a warning is listed in raw_warnings, with the same columns as raw_rejects."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from pipeline.errors import InputRejected
from pipeline.ingest.files import FileResult
from pipeline.ingest.readers import lines_of

# (record_number, export column, value, reason)
Row = tuple[int, str | None, str | None, str]


class LoadedRows:
    def __init__(self, con, files: list[FileResult], warn: Callable[[str], None]) -> None:
        self.con = con
        self.files = {f.file_id: f for f in files}
        self.say = warn

    def file(self, file_id: int) -> FileResult:
        return self.files[file_id]

    def by_file(self, found: list[tuple]) -> Iterator[tuple[FileResult, list[tuple]]]:
        """(file_id, record_number, ...) rows -> each file with its (record_number, ...)."""
        grouped: dict[int, list[tuple]] = {}
        for file_id, *rest in found:
            grouped.setdefault(file_id, []).append(tuple(rest))
        for file_id, rows in grouped.items():
            yield self.files[file_id], rows

    @staticmethod
    def column(file: FileResult, field: str) -> str | None:
        """The export column that feeds a canonical field in this file's mapping."""
        column = file.mapping.columns.get(field)
        return column.label if column else None

    def lines(self, places: list[tuple[int, int]]) -> dict[tuple[int, int], tuple[str, int]]:
        """(file_id, record_number) -> (file name, line), one pass per file."""
        wanted: dict[int, set[int]] = {}
        for file_id, number in places:
            wanted.setdefault(file_id, set()).add(number)
        found = {}
        for file_id, numbers in wanted.items():
            file = self.files[file_id]
            lines = lines_of(file.prepared, numbers)
            for number in numbers:
                found[(file_id, number)] = (file.path.name, lines.get(number, number + 1))
        return found

    def quarantine(self, file: FileResult, rows: list[Row]) -> None:
        """Out of the file's raw table, into raw_rejects."""
        if not rows:
            return
        numbers = [r[0] for r in rows]
        self.con.execute(f"delete from {file.mapping.entity.table} where file_id = $file_id "
                         "and list_contains($numbers, record_number)",
                         {"file_id": file.file_id, "numbers": numbers})
        self._insert("raw_rejects", file, rows)
        file.rows_loaded -= len(rows)
        file.rows_rejected += len(rows)

    def note(self, file: FileResult, rows: list[Row]) -> None:
        """Loaded as they are, and listed in raw_warnings."""
        self._insert("raw_warnings", file, rows)

    def warn(self, file: FileResult, number: int, column: str | None, value: str | None,
             message: str) -> None:
        """One warning for the run's log, naming the file, the row's line and its value."""
        line = self.lines([(file.file_id, number)])[(file.file_id, number)][1]
        self.say(str(InputRejected(file.path.name, message, line=line, column=column,
                                     value=value)))

    def _insert(self, table: str, file: FileResult, rows: list[Row]) -> None:
        lines = lines_of(file.prepared, [r[0] for r in rows])
        self.con.executemany(f"insert into {table} values (?, ?, ?, ?, ?, ?, ?)", [
            (file.file_id, file.path.name, lines.get(number, number + 1), number, column,
             value, reason) for number, column, value, reason in rows])

"""Which encoding a file's bytes are in, when they are not UTF-8: told from the bytes.

Excel re-saves a CSV in the Windows code page of its machine: GB18030 (GBK) on a Chinese
one, Windows-1252 on a Western one, neither with a BOM. The two are told apart by how their
bytes above 0x7F fall. A GB18030 character is two bytes, both in 0xA1-0xFE for nearly every
common one, and Chinese text runs several characters together; Windows-1252 gives each
accented letter one byte, between ASCII letters. Read as GB18030, "Müller" pairs ü with the
l after it, a pair no common character has. A file that is clearly neither is refused with
the line of its first byte that is not UTF-8: never decoded into wrong characters.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputRejected

GB18030, CP1252 = "gb18030", "cp1252"
# one GB18030 character (four bytes, two bytes) or a stray byte above 0x7F
GB_CHARACTER = re.compile(rb"[\x81-\xfe][\x30-\x39][\x81-\xfe][\x30-\x39]"
                          rb"|[\x81-\xfe][\x40-\x7e\x80-\xfe]|[\x80-\xff]")
NON_ASCII_RUN = re.compile(rb"[\x80-\xff]+")
# enough characters to tell; the whole file is still decoded, strictly
SAMPLE_CHARACTERS = 20_000
# at most this share of a GB18030 file's characters may lie outside 0xA1-0xFE (rare ones)
GB_RARE_SHARE = 0.10
# at least this share of a Windows-1252 file's non-ASCII bytes stand alone
CP_SINGLE_SHARE = 0.60
CHUNK = 1 << 20


@dataclass(frozen=True)
class Evidence:
    """What the bytes say: the first byte each encoding cannot decode (None: all decode),
    and the shape of the non-ASCII bytes."""

    utf8_error: int | None
    gb_error: int | None
    cp_error: int | None
    gb_common: int
    gb_rare: int
    single_runs: int
    runs: int

    @property
    def looks_gb(self) -> bool:
        total = self.gb_common + self.gb_rare
        return total > 0 and self.gb_rare <= GB_RARE_SHARE * total

    @property
    def looks_cp(self) -> bool:
        return self.runs > 0 and self.single_runs >= CP_SINGLE_SHARE * self.runs


def utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without a BOM: a NUL every other byte (the high byte of ASCII characters)."""
    sample = head[:4096]
    pairs = len(sample) // 2
    if pairs < 8:
        return None
    even = sample[0:pairs * 2:2].count(0)
    odd = sample[1:pairs * 2:2].count(0)
    if odd >= pairs / 4 and even <= odd / 10:
        return "utf-16-le"
    if even >= pairs / 4 and odd <= even / 10:
        return "utf-16-be"
    return None


def first_invalid(path: Path, encoding: str) -> int | None:
    """The byte offset of the first byte that does not decode strictly, or None."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    done = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                return done + error.start
            done += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return done
    return None


def gather(path: Path) -> Evidence:
    gb_common = gb_rare = single_runs = runs = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            if gb_common + gb_rare >= SAMPLE_CHARACTERS:
                break
            for match in GB_CHARACTER.finditer(chunk):
                char = match.group()
                if len(char) == 2 and char[0] >= 0xA1 and char[1] >= 0xA1:
                    gb_common += 1
                else:
                    gb_rare += 1
            for match in NON_ASCII_RUN.finditer(chunk):
                runs += 1
                single_runs += match.end() - match.start() == 1
    return Evidence(first_invalid(path, "utf-8"), first_invalid(path, GB18030),
                    first_invalid(path, CP1252), gb_common, gb_rare, single_runs, runs)


def line_at(path: Path, offset: int) -> int:
    """The 1-based line a byte offset is on."""
    line, done = 1, 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            if done + len(chunk) > offset:
                return line + chunk[:offset - done].count(b"\n")
            line += chunk.count(b"\n")
            done += len(chunk)
    return line


def detect(path: Path, hint: str | None = None) -> str:
    """The encoding of a file that is not UTF-8; refuses one that is neither clearly GB18030
    nor clearly Windows-1252. `hint` (an encoding a mapping declares, or that the header
    reads as) settles a file that could be either."""
    evidence = gather(path)
    if evidence.utf8_error is None:
        return "utf-8"
    gb = evidence.gb_error is None and evidence.looks_gb
    cp = evidence.cp_error is None and evidence.looks_cp
    if gb and cp and hint in (GB18030, CP1252):
        return hint
    if gb and not cp:
        return GB18030
    if cp and not gb:
        return CP1252
    if evidence.looks_gb and not evidence.looks_cp and evidence.gb_error is not None:
        raise InputRejected(path.name, "bytes that are not valid gb18030",
                            line=line_at(path, evidence.gb_error))
    shape = ("it could be either" if gb and cp else
             "its bytes fit neither")
    raise InputRejected(
        path.name, "bytes that are not valid UTF-8, and the file is neither clearly "
        f"GB18030 (Chinese Excel) nor clearly Windows-1252 (Western Excel): {shape}; "
        "save it as CSV UTF-8", line=line_at(path, evidence.utf8_error))

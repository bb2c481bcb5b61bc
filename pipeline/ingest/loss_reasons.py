"""The loss-reason file (loss_reasons_file) -> raw_config__loss_reasons.

CRMs hold one reason for losing a deal under several labels ("Lost to Competition",
"选择了竞争对手"): the file names each reason once, with its names in both languages and the
labels that mean it, matched case and surrounding spaces aside. The file is optional: without
it every label is its own reason. A label the file does not know stays its own reason, with
a warning naming it (docs/metrics.md "Loss reasons"). The file is checked here, so that a
label given to two reasons or a reason without a name stops the run with a message (exit 2)
naming the file, the line and the value.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import duckdb
import yaml

from pipeline.errors import ConfigError

log = logging.getLogger(__name__)

REASON_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
LANGUAGES = ("en", "zh_CN")
COLUMNS = {"loss_reason_id": "varchar", "reason_order": "integer", "name_en": "varchar",
           "name_zh": "varchar", "label": "varchar"}


class _Located(dict):
    line = 0


class _LocatedList(list):
    lines: list[int] = []


class _Loader(yaml.SafeLoader):
    """Safe YAML that remembers the line of every mapping and list item."""


def _mapping(loader, node):
    value = _Located(loader.construct_mapping(node, deep=True))
    value.line = node.start_mark.line + 1
    return value


def _sequence(loader, node):
    value = _LocatedList(loader.construct_sequence(node, deep=True))
    value.lines = [item.start_mark.line + 1 for item in node.value]
    return value


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _sequence)


def label_key(label: str) -> str:
    """What two labels must share to be one: the text without surrounding spaces, in lower
    case (the SQL matches with lower(trim(...)))."""
    return label.strip(" ").lower()


def load_loss_reasons(con: duckdb.DuckDBPyConnection, path: Path | None) -> int:
    """The reasons and their labels into raw_config__loss_reasons; returns the reason count.
    No file (None): the table is empty and every loss label is its own reason."""
    if path is None:
        rows = []
        log.info("no loss-reason file: every loss label is its own reason")
    elif not path.exists():
        raise ConfigError(f"{path}: the loss-reason file does not exist")
    else:
        rows = read_loss_reasons(path)
    con.execute("create or replace table raw_config__loss_reasons ("
                + ", ".join(f"{name} {type_}" for name, type_ in COLUMNS.items()) + ")")
    if rows:
        con.executemany(f"insert into raw_config__loss_reasons values "
                        f"({', '.join('?' for _ in COLUMNS)})",
                        [[row[name] for name in COLUMNS] for row in rows])
    return len({row["loss_reason_id"] for row in rows})


def read_loss_reasons(path: Path) -> list[dict]:
    """One row per reason and label, checked; ConfigError naming the file, line and value."""
    def fail(line: int | None, reason: str) -> ConfigError:
        return ConfigError(f"{path}{f', line {line}' if line else ''}: {reason}")

    try:
        spec = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise fail(None, f"not valid YAML: {error}") from error
    if not isinstance(spec, dict):
        raise fail(None, "expected a mapping with reasons")
    unknown = set(spec) - {"reasons"}
    if unknown:
        raise fail(spec.line, f"unknown keys {sorted(unknown)}; the file has reasons")
    items = spec.get("reasons")
    if not isinstance(items, list) or not items:
        raise fail(spec.line, "reasons lists at least one reason, each with an id, a name "
                              "and its labels")
    rows: list[dict] = []
    ids: dict[str, int] = {}
    owners: dict[str, tuple[str, str, int]] = {}
    for order, (item, line) in enumerate(zip(items, items.lines, strict=True), start=1):
        rows += _reason(order, item, line, ids, owners, fail)
    return rows


def _reason(order: int, item, line: int, ids: dict[str, int],
            owners: dict[str, tuple[str, str, int]], fail) -> list[dict]:
    if not isinstance(item, dict):
        raise fail(line, f"reason {order}: expected id, name and labels, got {item!r}")
    reason_id = item.get("id")
    if not isinstance(reason_id, str) or not REASON_ID.fullmatch(reason_id):
        raise fail(line, f"reason {order}: id must be lower case letters, digits and _, "
                         f"starting with a letter, got {reason_id!r}")
    if reason_id in ids:
        raise fail(line, f"reason id {reason_id!r} is already used on line {ids[reason_id]}")
    ids[reason_id] = line
    unknown = set(item) - {"id", "name", "labels"}
    if unknown:
        raise fail(line, f"reason {reason_id}: unknown keys {sorted(unknown)}; a reason has "
                         "id, name and labels")
    name = item.get("name")
    if (not isinstance(name, dict) or set(name) != set(LANGUAGES)
            or not all(isinstance(v, str) and v.strip() for v in name.values())):
        raise fail(getattr(name, "line", line), f"reason {reason_id}: name needs en and zh_CN "
                                                f"text, got {name!r}")
    labels = item.get("labels")
    if not isinstance(labels, list) or not labels:
        raise fail(line, f"reason {reason_id}: labels lists the CRM labels that mean it")
    rows = []
    for label, label_line in zip(labels, labels.lines, strict=True):
        if not isinstance(label, str | int) or not str(label).strip(" "):
            raise fail(label_line, f"reason {reason_id}: a label is text, got {label!r}")
        label = str(label).strip(" ")
        key = label_key(label)
        if key in owners:
            other, written, other_line = owners[key]
            if other == reason_id:
                continue
            raise fail(label_line, f"the label {label!r} is given to two reasons: {other} "
                                   f"(as {written!r}, line {other_line}) and {reason_id}")
        owners[key] = (reason_id, label, label_line)
        rows.append({"loss_reason_id": reason_id, "reason_order": order,
                     "name_en": name["en"].strip(), "name_zh": name["zh_CN"].strip(),
                     "label": label})
    return rows


def warn_unmapped_labels(con: duckdb.DuckDBPyConnection, loaded, path: Path | None) -> None:
    """Each loss label of a deals file that the loss-reason file does not know: its rows
    listed in raw_warnings, and one warning per label and file naming the label, the file,
    the first line and the count. No loss-reason file, no warning."""
    if not con.execute("select count(*) from raw_config__loss_reasons").fetchone()[0]:
        return
    found = con.execute("""
        select deals.file_id, deals.record_number, deals.loss_reason
        from raw_crm__deals as deals
        where
            deals.loss_reason is not null
            and lower(trim(deals.loss_reason)) not in (
                select lower(trim(label)) from raw_config__loss_reasons
            )
        order by 1, 2
    """).fetchall()
    for file, rows in loaded.by_file(found):
        column = loaded.column(file, "loss_reason")
        unknown = f"a loss label {path.name} does not know"
        loaded.note(file, [(number, column, label, f"{unknown}: it is its own reason")
                           for number, label in rows])
        by_label: dict[str, list[int]] = {}
        for number, label in rows:
            by_label.setdefault(label, []).append(number)
        for label, numbers in by_label.items():
            rows_text = "1 row" if len(numbers) == 1 else f"{len(numbers)} rows, the first here,"
            loaded.warn(file, numbers[0], column, label,
                        f"{rows_text} with {unknown}: it is reported as a reason of its own")

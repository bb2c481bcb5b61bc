"""The loss-reason file: checked strictly (a bad one stops the run with exit 2, naming the
file, line and value), the sample's covers every label of the sample, and a label the file
does not know loads with a warning naming the label, its file and count."""

from __future__ import annotations

import re
import subprocess
import sys

import duckdb
import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError
from pipeline.ingest.inbox import load_exports
from pipeline.ingest.loss_reasons import load_loss_reasons, read_loss_reasons
from pipeline.paths import SAMPLE_CONFIG, SAMPLE_DIR
from tests.test_ingest import column, sample_rows, write_export

GOOD = """\
reasons:
  - id: competitor
    name: {en: Lost to a competitor, zh_CN: 选择了竞争对手}
    labels:
      - 选择了竞争对手
      - Lost to Competition
  - id: price
    name: {en: Price too high, zh_CN: 价格太高}
    labels: [价格太高, " Price "]
"""


def write(tmp_path, text: str):
    path = tmp_path / "loss_reasons.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_reason_becomes_one_row_per_label(tmp_path):
    rows = read_loss_reasons(write(tmp_path, GOOD))
    assert [(r["loss_reason_id"], r["reason_order"], r["label"]) for r in rows] == [
        ("competitor", 1, "选择了竞争对手"), ("competitor", 1, "Lost to Competition"),
        ("price", 2, "价格太高"), ("price", 2, "Price")]
    assert {(r["name_en"], r["name_zh"]) for r in rows if r["loss_reason_id"] == "price"} \
        == {("Price too high", "价格太高")}


def test_the_samples_file_covers_every_loss_label_of_the_sample():
    config = load_config(SAMPLE_CONFIG)
    labels = {r["label"].lower() for r in read_loss_reasons(config.loss_reasons_file)}
    files = [str(p) for p in SAMPLE_DIR.glob("Deals_2*.csv")]
    found = {r[0] for r in duckdb.sql(
        "select distinct \"Reason For Loss\" from read_csv($files, all_varchar = true, "
        "union_by_name = true) where \"Reason For Loss\" is not null",
        params={"files": files}).fetchall()}
    assert len(found) >= 8
    assert {label.strip().lower() for label in found} <= labels


@pytest.mark.parametrize("old, new, message", [
    ("      - Lost to Competition\n", "      - Lost to Competition\n      - 价格太高\n",
     "line 10: the label '价格太高' is given to two reasons: competitor (as '价格太高', "
     "line 7) and price"),
    ("      - Lost to Competition\n", "      - Lost to Competition\n      - PRICE\n",
     "line 10: the label 'Price' is given to two reasons: competitor (as 'PRICE', line 7) "
     "and price"),
    ("{en: Price too high, zh_CN: 价格太高}", "{en: Price too high}",
     "line 8: reason price: name needs en and zh_CN text, got {'en': 'Price too high'}"),
    ("{en: Price too high, zh_CN: 价格太高}", "{en: Price too high, zh_CN: ' '}",
     "line 8: reason price: name needs en and zh_CN text"),
    ("    name: {en: Price too high, zh_CN: 价格太高}\n", "",
     "line 7: reason price: name needs en and zh_CN text, got None"),
    ("id: price", "id: Price", "line 7: reason 2: id must be lower case letters, digits and "
                               "_, starting with a letter, got 'Price'"),
    ("id: price", "id: competitor", "line 7: reason id 'competitor' is already used on "
                                    "line 2"),
    ("[价格太高, \" Price \"]", "[价格太高, \" \"]", "line 9: reason price: a label is "
                                                  "text, got ' '"),
    ("[价格太高, \" Price \"]", "价格太高", "line 7: reason price: labels lists the CRM "
                                        "labels that mean it"),
    ("reasons:", "reason:", "line 1: unknown keys ['reason']; the file has reasons"),
    ("    labels: [价格太高", "    label: x\n    labels: [价格太高",
     "line 7: reason price: unknown keys ['label']; a reason has id, name and labels"),
    (GOOD[GOOD.index("  - id: price"):], "  - [price]\n",
     "line 7: reason 2: expected id, name and labels, got ['price']"),
    ("reasons:", "reasons: [\n", "not valid YAML"),
], ids=["label of two reasons", "label of two reasons, case aside", "name without zh_CN",
        "blank name", "no name", "id not lower case", "id twice", "blank label",
        "labels not a list", "misspelt key", "unknown reason key", "reason not a mapping",
        "not YAML"])
def test_a_bad_file_names_the_file_the_line_and_the_value(tmp_path, old, new, message):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        read_loss_reasons(path)
    assert str(raised.value).startswith(f"{path}")
    assert raised.value.exit_code == 2


def test_a_missing_file_is_named_and_no_file_is_no_mapping(tmp_path):
    con = duckdb.connect()
    with pytest.raises(ConfigError, match="the loss-reason file does not exist"):
        load_loss_reasons(con, tmp_path / "nowhere.yaml")
    assert load_loss_reasons(con, None) == 0
    assert con.execute("select count(*) from raw_config__loss_reasons").fetchone() == (0,)


def test_a_bad_file_stops_the_run_with_exit_2_before_reading_the_inbox(tmp_path):
    write(tmp_path, GOOD.replace("      - Lost to Competition\n",
                                 "      - Lost to Competition\n      - price\n"))
    config = tmp_path / "settings.yaml"
    config.write_text("loss_reasons_file: loss_reasons.yaml\n", encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--no-mail", "--config", str(config),
         "--inbox", str(inbox), "--out", str(tmp_path / "out"), "--as-of", "2026-11-20"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    assert f"{tmp_path / 'loss_reasons.yaml'}, line 10: the label 'Price' is given to two " \
           "reasons: competitor (as 'price', line 7) and price" in result.stderr
    assert not (tmp_path / "out" / "warehouse.duckdb").exists()


def test_a_label_the_file_does_not_know_loads_with_a_warning(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "org.csv").write_text((SAMPLE_DIR / "org.csv").read_text(encoding="utf-8"),
                                   encoding="utf-8")
    header, rows = sample_rows(limit=6)
    reason = column(header, "Reason For Loss")
    for row, label in zip(rows, ["Budget cut", "价格太高", "Budget cut", " price ", "",
                                 "Lost to Competition"], strict=True):
        row[reason] = label
    write_export(inbox / "Deals.csv", header, rows)
    con = duckdb.connect()
    result = load_exports(con, load_config(inbox=inbox, settle_seconds=0,
                                           loss_reasons_file=write(tmp_path, GOOD)))
    assert con.execute("select file_name, line, column_name, value, reason from raw_warnings"
                       ).fetchall() == [
        ("Deals.csv", line, "Reason For Loss", "Budget cut", "a loss label loss_reasons.yaml "
         "does not know: it is its own reason") for line in (2, 4)]
    assert "Deals.csv, line 2: column 'Reason For Loss': value 'Budget cut': 2 rows, the " \
           "first here, with a loss label loss_reasons.yaml does not know: it is reported " \
           "as a reason of its own" in result.warnings
    # without the file, no label is unknown
    con = duckdb.connect()
    result = load_exports(con, load_config(inbox=inbox, settle_seconds=0))
    assert con.execute("select count(*) from raw_warnings").fetchone() == (0,)
    assert not any("loss label" in w for w in result.warnings)

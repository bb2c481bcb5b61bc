"""spreadsheet: every CSV the product writes keeps text from the CRM from being run as a
formula (OWASP CSV injection), reads the same, and keeps numbers numbers."""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from pipeline.errors import ValidationFailed
from pipeline.report.spreadsheet import csv_text, neutralise
from pipeline.warehouse.db import open_warehouse
from pipeline.warehouse.validate import validate_marts

HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize("text", [
    pytest.param(HYPERLINK, id="equals"),
    pytest.param("+cmd|' /C calc'!A0", id="plus, DDE"),
    pytest.param("-2+3+cmd|' /C calc'!A0", id="minus"),
    pytest.param("@SUM(1+1)*cmd|' /C calc'!A0", id="at"),
    pytest.param("\t=1+1", id="tab"),
    pytest.param("\r=1+1", id="carriage return"),
    pytest.param("\n=1+1", id="line feed"),
    pytest.param("\x00=1+1", id="NUL"),
    pytest.param("＝1+1", id="full-width equals"),
    pytest.param("＋1+1", id="full-width plus"),
    pytest.param("－1+1", id="full-width minus"),
    pytest.param("＠SUM(A1)", id="full-width at"),
    pytest.param("﹦1+1", id="small equals"),
    pytest.param(" =1+1", id="a space before"),
    pytest.param("\u3000=1+1", id="an ideographic space before"),
    pytest.param("\u200b=1+1", id="a zero-width space before"),
    pytest.param("-", id="a dash alone"),
    pytest.param("+86 21 51800506", id="a phone number"),
    pytest.param("'quoted", id="an apostrophe of its own"),
])
def test_a_cell_that_could_start_a_formula_gets_the_text_mark(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", [
    "苏州银河能源股份有限公司 - IoT pilot", "Kevin O'Brien", "a=b", "1+1", "", "x-1",
    "-5", "-3.25", "-1e-05", "0.5", "12", "-.5",
])
def test_other_text_and_plain_numbers_stay_as_they_are(text):
    assert neutralise(text) == text


def test_csv_text_quotes_text_and_leaves_numbers_bare():
    frame = pd.DataFrame({
        "name": [HYPERLINK, "Acme;=2", None],
        "amount": [-1200.5, 0.0, 3.0],
        "count": [-3, 0, 7],
        "is_new": [True, False, True],
        "day": pd.to_datetime(["2026-11-20", "2026-11-19", "2026-11-18"]),
        "case": ["-5", "+1", "ok"],
    })
    assert csv_text(frame) == (
        '"name","amount","count","is_new","day","case"\n'
        '"\'=HYPERLINK(""http://x"",""y"")",-1200.5,-3,True,"2026-11-20","-5"\n'
        '"Acme;=2",0.0,0,False,"2026-11-19","\'+1"\n'
        '"",3.0,7,True,"2026-11-18","ok"\n')
    rows = list(csv.reader(io.StringIO(csv_text(frame))))
    assert rows[1] == ["'" + HYPERLINK, "-1200.5", "-3", "True", "2026-11-20", "-5"]
    assert rows[2] == ["Acme;=2", "0.0", "0", "False", "2026-11-19", "'+1"]


@pytest.fixture
def warehouse(sample_run, tmp_path):
    config = replace(sample_run, out=tmp_path)
    shutil.copy(sample_run.published_warehouse, config.published_warehouse)
    with open_warehouse(config.published_warehouse) as con:
        yield con, config


def test_failures_csv_neutralises_a_hostile_failure_case_and_keeps_a_negative_one(warehouse):
    con, config = warehouse
    con.execute("update fct_deals set status = $text "
                "where deal_id = (select min(deal_id) from fct_deals)", {"text": HYPERLINK})
    con.execute("update fct_deals set amount = -1 "
                "where deal_id = (select max(deal_id) from fct_deals)")
    with pytest.raises(ValidationFailed):
        validate_marts(con, config)
    with (config.validation_dir / "failures.csv").open(encoding="utf-8", newline="") as handle:
        cases = {(row["table"], row["column"]): row for row in csv.DictReader(handle)}
    assert cases[("fct_deals", "status")]["failure_case"] == "'" + HYPERLINK
    assert float(cases[("fct_deals", "amount")]["failure_case"]) == -1
    assert cases[("fct_deals", "amount")]["failure_case"].startswith("-1")


def test_dates_are_written_as_dates():
    frame = pd.DataFrame({"first_seen_date": [date(2026, 11, 20)]})
    assert csv_text(frame) == '"first_seen_date"\n"2026-11-20"\n'

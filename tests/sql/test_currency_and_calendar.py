"""Currencies (a deal keeps its own, the marts add up in the reporting currency) and the
fiscal calendar (quarters and years follow the fiscal year's first month)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pipeline.errors import InputRejected


@pytest.fixture
def two_currencies(crm):
    crm.person("r1")
    crm.rate("2026-01-01", "USD", 7.10).rate("2026-03-01", "USD", 7.20)
    crm.deal("usd_feb", stage="Closed Won", amount=1000, currency="USD", close="2026-02-15")
    crm.deal("usd_mar", stage="Closed Won", amount=2000, currency="usd", close="2026-03-10")
    crm.deal("usd_open", stage="Needs Analysis", amount=500, currency="USD", close="2026-03-30")
    crm.deal("cny", stage="Closed Won", amount=10000, currency="CNY", close="2026-03-12")
    crm.deal("none", stage="Closed Won", amount=300, close="2026-03-15")
    return crm


def test_closed_deals_convert_at_the_close_date_open_ones_at_the_as_of_date(two_currencies):
    crm = two_currencies.build(as_of="2026-03-20")
    rows = {r["deal_id"]: r for r in crm.rows(
        "select deal_id, amount, deal_amount, deal_currency, fx_rate from fct_deals")}
    assert rows["usd_feb"]["amount"] == Decimal("7100.00")       # 1000 x 7.10 (rate of 01-01)
    assert rows["usd_mar"]["amount"] == Decimal("14400.00")      # 2000 x 7.20 (rate of 03-01)
    assert rows["usd_open"]["amount"] == Decimal("3600.00")      # 500 x 7.20 on 03-20
    assert (rows["usd_mar"]["deal_amount"], rows["usd_mar"]["deal_currency"]) == (
        Decimal("2000.00"), "USD")
    assert rows["none"]["deal_currency"] == "CNY"                # no currency: the reporting one
    march = crm.row("select won_amount from rpt_rep_performance_monthly "
                    "where month = date '2026-03-01'")
    assert march["won_amount"] == Decimal("24700.00")            # 14400 + 10000 + 300


def test_a_missing_rate_stops_the_run_naming_currency_and_date(crm):
    crm.person("r1")
    crm.rate("2026-03-01", "USD", 7.20)
    crm.deal("usd_feb", stage="Closed Won", amount=1000, currency="USD", close="2026-02-15")
    with pytest.raises(InputRejected, match="no exchange rate for USD on or before 2026-02-15"):
        crm.build_all(as_of="2026-03-20")


@pytest.mark.parametrize("start, as_of, quarter_start, previous, fiscal", [
    pytest.param(1, "2026-05-10", "2026-04-01", ("2025-04-01", "2025-05-10"), (2026, 2),
                 id="calendar year"),
    pytest.param(4, "2026-05-10", "2026-04-01", ("2025-04-01", "2025-05-10"), (2027, 1),
                 id="April: May is Q1 of FY2027"),
    pytest.param(4, "2026-03-15", "2026-01-01", ("2025-01-01", "2025-03-15"), (2026, 4),
                 id="April: March is Q4 of FY2026"),
    pytest.param(2, "2026-03-15", "2026-02-01", ("2025-02-01", "2025-03-15"), (2027, 1),
                 id="February: quarters start Feb, May, Aug, Nov"),
])
def test_quarters_follow_the_fiscal_year(crm, start, as_of, quarter_start, previous, fiscal):
    crm.person("r1").deal("d1", stage="Closed Won", close=as_of)
    crm.target("r1", as_of[:7], 100)
    crm.build(as_of=as_of, fiscal_start=start)
    periods = {r["period_kind"]: (r["period_start"], r["period_end"]) for r in crm.rows(
        "select * from int_report_periods where period_kind <> 'month'")}
    assert periods["quarter_to_date"] == (date.fromisoformat(quarter_start),
                                          date.fromisoformat(as_of))
    assert periods["previous_year_quarter_to_date"] == tuple(map(date.fromisoformat, previous))
    row = crm.row("select fiscal_year, fiscal_quarter from rpt_rep_performance_monthly")
    assert (row["fiscal_year"], row["fiscal_quarter"]) == fiscal
    forecast = crm.row("select quarter_start from rpt_forecast where scope_id = 'company' "
                       "and owner_id is null")
    assert forecast["quarter_start"] == date.fromisoformat(quarter_start)

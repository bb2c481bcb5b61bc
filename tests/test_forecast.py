"""The quarter's forecast from Zoho (probability 0-100), Salesforce (0-100) and HubSpot (0-1)
exports in one inbox: weighted pipeline, forecast categories and coverage, by hand.

As of 2026-03-20, fiscal quarter January-March:
  Zoho  Z1 Negotiation/Review 100,000 at 90  -> commit (stage default), weighted  90,000
        Z2 Qualification       50,000, closes in April: not this quarter
  SF    S1 Proposal/Price Quote 80,000 at 75, ForecastCategory BestCase  -> 60,000
        S2 Closed Won 40,000 on 2026-02-10 (IsClosed, IsWon)
  HS    H1 Contract Sent 20,000 at 0.9 -> commit (stage default)         -> 18,000
        H2 Presentation Scheduled 10,000 at 0.6 -> best case             ->  6,000
Targets for the quarter: Zoho rep 150,000, Salesforce rep 100,000, HubSpot rep 30,000.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.test_sources import build


@pytest.fixture
def forecast(tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    (files / "Deals.csv").write_text(
        "Record Id,Deal Owner.id,Deal Name,Amount,Closing Date,Stage,Probability (%),"
        "Created Time,Modified Time\n"
        "zcrm_5000000000000000001,zcrm_111111111,Z1,100000,2026-03-25,Negotiation/Review,90,"
        "2026-01-10 09:00:00,2026-03-01 09:00:00\n"
        "zcrm_5000000000000000002,zcrm_111111111,Z2,50000,2026-04-15,Qualification,10,"
        "2026-02-10 09:00:00,2026-03-01 09:00:00\n", encoding="utf-8")
    (files / "Opportunity.csv").write_text(
        "Id,Name,OwnerId,StageName,Amount,Probability,CloseDate,IsClosed,IsWon,CreatedDate,"
        "ForecastCategory\n"
        "006000000000001AAA,S1,005000000000001AAA,Proposal/Price Quote,80000,75,2026-03-28,"
        "0,0,2026-01-05T08:00:00.000+0000,BestCase\n"
        "006000000000002AAA,S2,005000000000001AAA,Closed Won,40000,100,2026-02-10,1,1,"
        "2026-01-02T08:00:00.000+0000,Closed\n", encoding="utf-8")
    (files / "hubspot.csv").write_text(
        "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Deal probability,"
        "Create Date\n"
        "101,H1,Contract Sent,2026-03-31 00:00,Ann Smith,20000,0.9,2026-02-01 10:00\n"
        "102,H2,Presentation Scheduled,2026-03-30 00:00,Ann Smith,10000,0.6,"
        "2026-02-15 10:00\n", encoding="utf-8")
    targets = "period,user_id,metric,target\n"
    for month in ("2026-01", "2026-02", "2026-03"):
        targets += f"{month},111111111,won_amount,50000\n"
    targets += "2026-02,005000000000001AAA,won_amount,100000\n2026-03,ann,won_amount,30000\n"
    (files / "targets.csv").write_text(targets, encoding="utf-8")
    org = ("user_id,name,email,manager_id,team,region\nlead,Lead,,,,\n"
           "111111111,Zhou,,lead,East,\n005000000000001AAA,Sam,,lead,East,\n"
           "ann,Ann Smith,,lead,East,\n")
    return build(tmp_path, sorted(files.iterdir()), org, as_of=date(2026, 3, 20))


def test_weighted_pipeline_categories_and_coverage(forecast):
    total = forecast.execute("select * from rpt_forecast where scope_id = 'company' "
                        "and owner_id is null").df().iloc[0]
    assert Decimal(str(total["won_amount"])) == Decimal("40000")
    assert Decimal(str(total["open_pipeline_amount"])) == Decimal("210000")
    assert Decimal(str(total["weighted_pipeline_amount"])) == Decimal("174000")
    assert Decimal(str(total["commit_amount"])) == Decimal("160000")      # 40k + Z1 + H1
    assert Decimal(str(total["best_case_amount"])) == Decimal("250000")   # + S1 + H2
    assert Decimal(str(total["target_won_amount"])) == Decimal("280000")
    assert total["coverage_rate"] == pytest.approx(210000 / (280000 - 40000))


def test_coverage_per_rep(forecast):
    rows = {r[0]: r[1:] for r in forecast.execute(
        "select owner_id, weighted_pipeline_amount, coverage_rate from rpt_forecast "
        "where scope_id = 'lead' and owner_id is not null").fetchall()}
    assert rows["111111111"][0] == Decimal("90000.00")
    assert rows["111111111"][1] == pytest.approx(100000 / 150000)
    assert rows["005000000000001AAA"][0] == Decimal("60000.00")
    assert rows["005000000000001AAA"][1] == pytest.approx(80000 / (100000 - 40000))
    assert rows["ann"][0] == Decimal("24000.00")                            # 18k + 6k
    assert rows["ann"][1] == pytest.approx(30000 / 30000)

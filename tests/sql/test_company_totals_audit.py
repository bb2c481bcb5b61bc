"""sql/audits/assert_company_totals_agree: the company's totals of the per-scope marts equal
their twins' at the finer grain in every build; a twin that counts differently stops it."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from pipeline.config import Config
from pipeline.errors import InputRejected
from pipeline.paths import SQL_DIR
from pipeline.warehouse.build import build_models

AS_OF = "2026-03-20"


@pytest.fixture
def deals(crm):
    crm.person("lead", team=None).person("r1", manager="lead")
    crm.deal("won", owner="r1", stage="Closed Won", amount=1_000, close="2026-03-05",
             created="2026-02-01 09:00:00")
    crm.deal("lost", owner="r1", stage="Closed Lost", amount=300, close=AS_OF,
             created=f"{AS_OF} 09:00:00")  # created on the as-of date, no loss reason
    crm.call("r1", "2026-03-10 09:00:00")
    crm.target("r1", "2026-03", 2_000)
    return crm


def build_with(crm, tmp_path, table: str, old: str, new: str) -> None:
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    path = next(sql.rglob(f"{table}.sql"))
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    build_models(crm.con, Config(as_of=date.fromisoformat(AS_OF)), sql_dir=sql)


def test_the_marts_as_built_agree(deals):
    deals.build_all(as_of=AS_OF)
    performance = deals.row("select * from rpt_scope_performance where scope_id = 'company' "
                            "and owner_id is null and period_start = '2026-03-01' "
                            "and period_kind = 'month'")
    assert (performance["won_count"], performance["lost_count"],
            performance["activities_count"]) == (1, 1, 1)


@pytest.mark.parametrize("table, old, new, named", [
    pytest.param("int_owner_months", "in ('closed_deal', 'activity', 'target')",
                 "in ('closed_deal', 'target')",
                 "activities_count of performance in 2026-03 is 1.00 per scope but 0.00",
                 id="the rep-month forgets the activities"),
    pytest.param("rpt_funnel_stages", "deals.created_date <= getvariable('as_of_date')",
                 "deals.created_date < getvariable('as_of_date')",
                 "deals_lost_here of funnel in Qualification (funnel_current) is 1.00 per scope "
                 "but 0.00",
                 id="the team funnel misses the deals created on the as-of date"),
    pytest.param("rpt_funnel_loss_reasons", "status = 'lost'",
                 "status = 'lost' and loss_reason is not null",
                 "lost_amount of loss_reasons in Qualification (funnel_current) is 300.00 per "
                 "scope but 0.00",
                 id="the team losses leave out the deals without a reason"),
])
def test_a_twin_that_counts_differently_stops_the_build(deals, tmp_path, table, old, new,
                                                         named):
    with pytest.raises(InputRejected, match="assert_company_totals_agree") as raised:
        build_with(deals, tmp_path, table, old, new)
    assert named in str(raised.value)

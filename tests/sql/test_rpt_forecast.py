"""rpt_forecast on hand-made deals; the end-to-end forecast per CRM is in test_forecast.py."""

from __future__ import annotations

import pytest


def test_the_quarters_target_includes_the_months_still_to_come(crm):
    crm.person("lead", team=None).person("r1", manager="lead")
    crm.deal("won", owner="r1", stage="Closed Won", amount=100, close="2026-01-20")
    crm.deal("open", owner="r1", stage="Negotiation/Review", amount=500, close="2026-03-15",
             forecast="commit")
    crm.target("r1", "2025-12", 999).target("r1", "2026-01", 200)
    crm.target("r1", "2026-02", 300).target("r1", "2026-03", 400)
    crm.build(as_of="2026-02-10")
    row = crm.row("select target_won_amount, attainment_rate, coverage_rate from rpt_forecast "
                  "where scope_id = 'lead' and owner_id is null")
    assert row["target_won_amount"] == 900  # January to March; not December
    assert row["attainment_rate"] == pytest.approx(100 / 900)
    assert row["coverage_rate"] == pytest.approx(500 / (900 - 100))

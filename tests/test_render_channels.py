"""The channel section of the performance report on the sample: in the HTML and the PDF of
every scope, with the numbers of rpt_channel_performance and rpt_channel_conflicts."""

from __future__ import annotations

import pytest

from pipeline.report.i18n import Locale
from pipeline.warehouse.db import open_warehouse
from tests.test_render import pdf_text


@pytest.fixture(scope="module")
def sample(sample_run):
    con = open_warehouse(sample_run.warehouse, read_only=True)
    yield sample_run, con
    con.close()


def report(config, scope: str, suffix: str = "pdf", language: str = "") -> str:
    path = config.reports_dir / config.as_of.isoformat() / scope / language / (
        f"performance.{suffix}")
    return pdf_text(path) if suffix == "pdf" else path.read_text(encoding="utf-8")


def test_the_sample_has_every_channel_partners_and_a_conflict(sample):
    _, con = sample
    channels = {r[0] for r in con.execute(
        "select distinct channel from rpt_channel_performance where scope_id = 'company' "
        "and period_kind = 'last_12_months'").fetchall()}
    assert channels == {"direct", "agent", "distributor", "ecommerce"}
    partner_types = {r[0] for r in con.execute(
        "select distinct partner_type from rpt_channel_performance "
        "where partner_id is not null").fetchall()}
    assert partner_types == {"Distributor", "Reseller"}
    assert con.execute("select count(*) from rpt_channel_conflicts "
                       "where scope_id = 'company'").fetchone()[0] >= 1


def test_the_channel_section_is_in_every_scopes_html_and_pdf(sample):
    config, con = sample
    scopes = [r[0] for r in con.execute(
        "select distinct scope_id from int_report_scopes").fetchall()]
    for scope in scopes:
        for suffix in ("html", "pdf"):
            text = report(config, scope, suffix)
            assert "销售渠道" in text and "合作伙伴（代理商与分销商）" in text, scope
            assert "渠道冲突" in text, scope
    # Sarah Mitchell's English edition
    english = report(config, "5743045000010000003", language="en")
    assert "Sales channels" in english and "Channel conflicts" in english


def test_the_numbers_in_the_channel_section_are_the_marts(sample):
    config, con = sample
    locale = Locale(config.language, config.currency)
    labels = dict(con.execute("select channel, label_zh from stg_config__channels").fetchall())
    rows = con.execute(
        "select scope_id, channel, partner_id, partner_name, created_count, created_amount, "
        "won_count, won_amount, lost_count, win_rate, avg_won_amount, median_cycle_days "
        "from rpt_channel_performance where period_kind = 'last_12_months'").fetchall()
    for scope, channel, partner, name, created, created_amount, won, won_amount, lost, \
            win_rate, average, cycle in rows:
        text = report(config, scope)
        tail = [locale.percent(win_rate), locale.money(average), locale.number(cycle)]
        if partner is None:
            line = " ".join([labels[channel], locale.number(created),
                             locale.money(created_amount), locale.number(won),
                             locale.money(won_amount), locale.number(lost), *tail])
            assert line in text.splitlines(), f"{scope}: {line!r} not in the PDF"
        else:
            cells = " ".join([locale.number(created), locale.money(created_amount),
                              locale.number(won), locale.money(won_amount), *tail])
            assert name in text and cells in text, f"{scope}: {name} {cells} not in the PDF"
    assert len(rows) > 20


def test_the_conflicts_in_the_pdf_are_the_marts(sample):
    config, con = sample
    locale = Locale(config.language, config.currency)
    labels = dict(con.execute("select channel, label_zh from stg_config__channels").fetchall())
    rows = con.execute(
        "select scope_id, account_name, channels, open_deals_count, open_amount "
        "from rpt_channel_conflicts qualify row_number() over ("
        "partition by scope_id order by open_amount desc, account_name, account_id) <= 15"
    ).fetchall()
    for scope, account, channels, deals, amount in rows:
        text = " ".join(report(config, scope).split())
        # owners and partners may wrap in their cells: the row's other cells, in order
        start = " ".join([account, locale.text("list_separator").join(
            labels[c] for c in channels.split(", ")), locale.number(deals)])
        assert start in text, f"{scope}: {start!r} not in the PDF"
        assert locale.money(amount) in text[text.index(start):], f"{scope}: {amount}"
    assert len({r[0] for r in rows}) > 1

"""The sample's optional ops files: survey answers (satisfaction.csv), the cost of selling
(costs.csv), market sizes (market.csv), and the targets beyond each rep's monthly won amount.

Drawn from their own random stream, so that adding them leaves every other sample file as
it was.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.tools.sample import Deal, Person

SEED = 20261121
COMMENTS = ["响应及时，方案专业", "交付比预期慢", "Great onboarding team", "价格偏高",
            "Support was hard to reach", "实施顾问很专业", ""]
COST_CATEGORIES = [("差旅", 0.4), ("客户招待", 0.25), ("样品与演示", 0.15)]
# what selling through a channel costs beyond the teams' own spend, per quarter
CHANNEL_COSTS = [("agent", "渠道返点", 60_000, 120_000),
                 ("distributor", "渠道返点", 40_000, 90_000),
                 ("ecommerce", "平台费用", 30_000, 50_000)]
REGION_MARKETS = {"华东": 60_000_000, "华北": 35_000_000, "华南": 30_000_000}


def quarters(first: date, last: date) -> list[tuple[str, date]]:
    """(label, first day) of each calendar quarter from first to last."""
    found, day = [], date(first.year, (first.month - 1) // 3 * 3 + 1, 1)
    while day <= last:
        found.append((f"{day.year}-Q{(day.month - 1) // 3 + 1}", day))
        day = date(day.year + (day.month + 2) // 12, (day.month + 2) % 12 + 1, 1)
    return found


def months(first: date, last: date) -> list[date]:
    found, day = [], first.replace(day=1)
    while day <= last:
        found.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return found


def satisfaction_rows(rng: random.Random, deals: list[Deal], won: str, as_of: date,
                      skill: dict[str, float]) -> list[dict]:
    """An NPS survey (0-10) after about half of the deals won, a few days after the win,
    and a 1-5 service survey about some of the customers; better reps, happier customers."""
    rows = []
    for deal in deals:
        if deal.stage != won or rng.random() < 0.45:
            continue
        day = deal.close_date + timedelta(days=rng.randint(3, 20))
        if day > as_of:
            continue
        mood = skill[deal.owner.user_id]
        score = min(10, max(0, round(rng.gauss(6.2 + 1.6 * mood, 2.0))))
        rows.append({"date": day.isoformat(), "account_id": "", "deal_id": deal.deal_id,
                     "score": score, "scale": "0-10", "comment": rng.choice(COMMENTS)})
        if rng.random() < 0.3:
            service_day = day + timedelta(days=rng.randint(20, 60))
            if service_day <= as_of:
                rows.append({"date": service_day.isoformat(), "account_id": deal.account[0],
                             "deal_id": "", "score": rng.choice([3, 4, 4, 5, 5]),
                             "scale": "1-5", "comment": ""})
    return sorted(rows, key=lambda r: (r["date"], r["deal_id"], r["account_id"]))


def cost_rows(rng: random.Random, teams: list[str], as_of: date) -> list[dict]:
    """Each team's monthly travel, entertainment and demo spend; the company's quarterly
    events."""
    rows = []
    for month in months(date(2025, 1, 1), as_of):
        for team in teams:
            spend = rng.uniform(60_000, 110_000)
            for category, share in COST_CATEGORIES:
                rows.append({"period": month.strftime("%Y-%m"), "team": team, "channel": "",
                             "category": category, "amount": f"{spend * share:.2f}"})
    for label, _ in quarters(date(2025, 1, 1), as_of):
        rows.append({"period": label, "team": "", "channel": "", "category": "市场活动",
                     "amount": f"{rng.uniform(150_000, 300_000):.2f}"})
        for channel, category, low, high in CHANNEL_COSTS:
            rows.append({"period": label, "team": "", "channel": channel,
                         "category": category, "amount": f"{rng.uniform(low, high):.2f}"})
    return rows


def market_rows(rng: random.Random, as_of: date) -> list[dict]:
    return [{"region": region, "period": label,
             "market_size": f"{size * rng.uniform(0.9, 1.1):.0f}"}
            for label, _ in quarters(date(2025, 1, 1), as_of)
            for region, size in REGION_MARKETS.items()]


def extra_targets(rng: random.Random, people: list[Person], as_of: date) -> list[dict]:
    """Per rep: new customers and satisfaction by quarter, activities by month; per team: the
    won deals by quarter."""
    rows = []
    reps = [p for p in people if p.sells and p.has_targets]
    this_year = quarters(date(as_of.year, 1, 1), date(as_of.year, 12, 1))
    for p in reps:
        for label, _ in this_year:
            rows.append({"period": label, "user_id": p.user_id, "team": "",
                         "metric": "new_customers", "target": rng.choice([1, 1, 2])})
            rows.append({"period": label, "user_id": p.user_id, "team": "",
                         "metric": "satisfaction", "target": "8"})
        for month in months(date(as_of.year, 1, 1), date(as_of.year, 12, 1)):
            rows.append({"period": month.strftime("%Y-%m"), "user_id": p.user_id, "team": "",
                         "metric": "activities",
                         "target": round(p.activity * rng.uniform(28, 36))})
    for team in sorted({p.team for p in reps}):
        size = sum(1 for p in reps if p.team == team)
        for label, _ in this_year:
            rows.append({"period": label, "user_id": "", "team": team, "metric": "won_count",
                         "target": size * rng.choice([5, 6, 7])})
    return rows


def write(out: Path, people: list[Person], deals: list[Deal], won: str, as_of: date,
          write_csv) -> list[dict]:
    """Writes the three files; returns the extra targets."""
    rng = random.Random(SEED)
    skill = {p.user_id: p.skill for p in people}
    teams = sorted({p.team for p in people if p.sells and p.team})
    write_csv(out / "satisfaction.csv",
              ["date", "account_id", "deal_id", "score", "scale", "comment"],
              satisfaction_rows(rng, deals, won, as_of, skill), quote_all=False)
    write_csv(out / "costs.csv", ["period", "team", "channel", "category", "amount"],
              cost_rows(rng, teams, as_of), quote_all=False)
    write_csv(out / "market.csv", ["region", "period", "market_size"],
              market_rows(rng, as_of), quote_all=False)
    return extra_targets(rng, people, as_of)

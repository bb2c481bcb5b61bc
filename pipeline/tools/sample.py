"""Seeded generator of the sample inbox: Zoho CRM module exports plus org.csv and targets.csv.

`python -m pipeline.tools.sample --out data/sample` rewrites the committed sample byte for byte.
Everything is drawn from one `random.Random(SEED)`, so the same code gives the same files;
the sales channels (partner accounts, the deals through them, e-commerce deals) are drawn
afterwards from their own `random.Random(CHANNEL_SEED)`, so that adding them left every
other value as it was.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from pathlib import Path

from pipeline.tools import sample_ops

SEED = 20261120
CHANNEL_SEED = 20261121
AS_OF = date(2026, 11, 20)
EXPORTED_AT = datetime.combine(AS_OF, time(20, 0))
FIRST_DAY = date(2024, 11, 1)

OPEN_STAGES = [
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Identify Decision Makers",
    "Proposal/Price Quote",
    "Negotiation/Review",
]
WON, LOST, LOST_TO_COMPETITION = "Closed Won", "Closed Lost", "Closed-Lost to Competition"
# Zoho renamed "Id. Decision Makers"; history rows before this date keep the old label.
OLD_LABEL_UNTIL = datetime(2025, 3, 1)
OLD_LABELS = {"Identify Decision Makers": "Id. Decision Makers"}
PROBABILITY = {**dict(zip(OPEN_STAGES, [10, 20, 40, 60, 75, 90], strict=True)),
               WON: 100, LOST: 0, LOST_TO_COMPETITION: 0}
MEAN_DAYS_IN_STAGE = [9, 13, 16, 11, 18, 14]
LOSE_CHANCE = [0.20, 0.14, 0.12, 0.09, 0.16, 0.20]
SKIP_CHANCE = 0.07  # for an average rep; a careless one skips more, a careful one hardly

LOSS_REASONS = [
    ("价格太高", 5), ("预算不足", 4), ("项目暂停", 3), ("需求不匹配", 2),
    ("Lost to Competition", 0), ("No decision", 2), ("Timing", 1), ("", 1),
]
COMPETITOR_REASONS = ["选择了竞争对手", "Lost to Competition"]
LEAD_SOURCES = ["Advertisement", "Cold Call", "Employee Referral", "External Referral",
                "Partner", "Seminar Partner", "Trade Show", "Web Download", "Web Research",
                "Chat"]
NEXT_STEPS = ["安排产品演示", "发送报价单", "约见采购负责人", "Follow up on proposal",
              "Schedule technical workshop", "确认预算", "Send contract draft", ""]
INDUSTRIES = ["Manufacturing", "Technology", "Retail", "Financial Services", "Healthcare",
              "Logistics", "Energy", "Education"]
CITIES = ["上海", "北京", "深圳", "杭州", "苏州", "南京", "广州", "天津", "成都", "武汉"]
FIRMS = ["恒泰", "华鑫", "远航", "金桥", "新锐", "博达", "鼎盛", "瑞丰", "晨光", "天宇",
         "海纳", "中联", "银河", "卓越", "宏图", "永信"]
SUFFIXES = ["科技有限公司", "制造有限公司", "物流集团", "医疗器械有限公司", "零售连锁有限公司",
            "能源股份有限公司"]
LATIN_FIRMS = ["Acme Industrial", "Northwind Trading", "Globex", "Initech", "Umbrella Logistics",
               "Stark Components", "Wayne Retail", "Vandelay Imports", "Soylent Foods",
               "Hooli Cloud", "Pied Piper Data", "Tyrell Robotics"]
PRODUCTS = ["ERP 升级", "CRM 实施", "数据平台", "云迁移", "安全审计", "Support renewal",
            "Analytics suite", "IoT pilot", "培训服务", "License expansion"]
TASK_SUBJECTS = ["准备报价", "Send follow-up email", "更新商机信息", "Prepare demo",
                 "客户回访", "Draft proposal", "确认合同条款"]
CALL_SUBJECTS = ["需求沟通", "Follow-up call", "报价确认", "Discovery call", "客户回访"]
MEETING_TITLES = ["产品演示", "Executive briefing", "技术交流", "Contract review", "现场拜访"]
TASK_STATUSES = ["Not Started", "In Progress", "Waiting for input", "Deferred"]
# How reps work: (activity, slips, diligence). Diligence is the chance a task is done on
# time, a next step filled in, a key account called back.
PROFILES = {"exemplary": (1.9, 0.25, 0.99), "solid": (1.35, 0.6, 0.93),
            "average": (1.0, 1.0, 0.85), "sloppy": (0.55, 2.2, 0.6)}
REP_PROFILES = ["solid", "average", "sloppy", "exemplary", "average", "solid", "sloppy",
                "average", "solid", "exemplary", "average", "sloppy", "solid", "average",
                "average", "sloppy", "solid", "average"]
PRIORITIES = ["Highest", "High", "Normal", "Low", "Lowest"]

DEAL_HEADER = [
    "Record Id", "Deal Owner.id", "Deal Owner", "Deal Name", "Amount", "Closing Date",
    "Account Name.id", "Account Name", "Stage", "Type", "Probability (%)", "Expected Revenue",
    "Next Step", "Lead Source", "Contact Name.id", "Contact Name", "Created By.id",
    "Created By", "Modified By.id", "Modified By", "Created Time", "Modified Time",
    "Last Activity Time", "Reason For Loss", "Description", "Tag",
]
# custom fields of the sample's Zoho org: a picklist and a lookup to Accounts, which
# config/channels.yaml reads
CHANNEL_HEADER = ["Channel", "Channel Partner.id", "Channel Partner"]
HISTORY_HEADER = [
    "Record Id", "Deal Name.id", "Deal Name", "Stage", "Stage Duration (Calendar Days)",
    "Probability (%)", "Moved To", "Amount", "Expected Revenue", "Closing Date",
    "Modified By", "Modified By.id", "Modified Time",
]
ACCOUNT_HEADER = [
    "Record Id", "Account Owner.id", "Account Owner", "Account Name", "Account Type",
    "Industry", "Billing City", "Phone", "Website", "Created Time", "Modified Time",
]
CALL_HEADER = [
    "Record Id", "Subject", "Call Type", "Call Purpose", "Call Start Time",
    "Call Duration (in seconds)", "Call Owner.id", "Call Owner", "Related To.id",
    "Related To", "Created Time", "Modified Time",
]
TASK_HEADER = [
    "Record Id", "Subject", "Due Date", "Status", "Priority", "Task Owner.id", "Task Owner",
    "Related To.id", "Related To", "Created Time", "Modified Time", "Closed Time",
]
MEETING_HEADER = [
    "Record Id", "Title", "From", "To", "Host.id", "Host", "Related To.id", "Related To",
    "Venue", "Created Time", "Modified Time",
]


@dataclass
class Person:
    user_id: str
    name: str
    email: str
    manager_id: str
    team: str
    region: str
    sells: bool = True
    skill: float = 1.0
    activity: float = 1.0
    deal_size: float = 1.0
    deals_per_month: float = 4.0
    slips: float = 1.0
    diligence: float = 0.85
    starts: date = FIRST_DAY
    has_targets: bool = True
    prefix_in_org: bool = False
    in_org: bool = True


@dataclass
class Deal:
    deal_id: str
    owner: Person
    name: str
    account: tuple[str, str]
    created_at: datetime
    amount: float | None
    deal_type: str
    lead_source: str
    close_date: date
    stage: str = OPEN_STAGES[0]
    modified_at: datetime | None = None
    loss_reason: str = ""
    next_step: str = ""
    description: str = ""
    moves: list[tuple[datetime, str, str, float | None, date]] = field(default_factory=list)
    channel: str = ""
    partner: tuple[str, str] = ("", "")


class Ids:
    """Zoho-shaped record ids: 19 digits, unique per module."""

    def __init__(self, module: int) -> None:
        self.next = 5743045000000000000 + module * 10_000_000

    def __call__(self) -> str:
        self.next += 1
        return str(self.next)


def build_org(rng: random.Random) -> list[Person]:
    uid = Ids(1)
    people: list[Person] = []

    def person(name: str, email: str, manager: Person | None, team: str, region: str,
               **kwargs) -> Person:
        p = Person(uid(), name, f"{email}@example.com", manager.user_id if manager else "",
                   team, region, **kwargs)
        people.append(p)
        return p

    vp = person("林国栋", "guodong.lin", None, "", "", sells=False)
    east = person("王建华", "jianhua.wang", vp, "", "华东", sells=False)
    north_south = person("Sarah Mitchell", "sarah.mitchell", vp, "", "华北/华南", sells=False)
    teams = [
        (east, "华东一组", "华东", person("赵敏", "min.zhao", east, "华东一组", "华东",
                                            sells=False)),
        (east, "华东二组", "华东", person("David Chen", "david.chen", east, "华东二组", "华东",
                                            sells=False)),
        (north_south, "华北组", "华北", person("刘洋", "yang.liu", north_south, "华北组",
                                                 "华北", deals_per_month=1.5, skill=1.1,
                                                 has_targets=False)),
        (north_south, "华南组", "华南", person("Grace Wang", "grace.wang", north_south,
                                                 "华南组", "华南", sells=False)),
    ]
    reps = [
        ("张伟", "wei.zhang"), ("王芳", "fang.wang"), ("李娜", "na.li"), ("陈静", "jing.chen"),
        ("杨磊", "lei.yang"), ("黄强", "qiang.huang"), ("周杰", "jie.zhou"), ("吴霞", "xia.wu"),
        ("徐明", "ming.xu"), ("孙丽", "li.sun"), ("Emily Zhang", "emily.zhang"),
        ("Michael Liu", "michael.liu"), ("欧阳晨", "chen.ouyang"), ("马超", "chao.ma"),
        ("朱琳", "lin.zhu"), ("胡斌", "bin.hu"), ("Kevin O'Brien", "kevin.obrien"),
        ("郭涛", "tao.guo"),
    ]
    for i, (name, email) in enumerate(reps):
        _, team, region, lead = teams[i % len(teams)]
        activity, slips, diligence = PROFILES[REP_PROFILES[i]]
        person(name, email, lead, team, region,
               skill=rng.uniform(0.6, 1.4), activity=activity, slips=slips,
               diligence=diligence, deal_size=rng.uniform(0.6, 1.6),
               deals_per_month=rng.uniform(3.2, 5.6), prefix_in_org=i % 3 == 0)
    # A new hire: joined this year, not yet given targets.
    people[-1].starts = date(2026, 6, 1)
    people[-1].has_targets = False
    # Joined last month and sells already, but nobody has added her to org.csv yet.
    person("钱佳", "jia.qian", teams[3][3], "华南组", "华南", skill=1.0, activity=1.0,
           deals_per_month=3.0, starts=date(2026, 10, 1), has_targets=False, in_org=False)
    return people


def business_time(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 18), rng.randint(0, 59), rng.randint(0, 59)))


def poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def stage_label(stage: str, at: datetime) -> str:
    return OLD_LABELS.get(stage, stage) if at < OLD_LABEL_UNTIL else stage


def simulate_deal(rng: random.Random, deal: Deal, skill: float, slips: float) -> None:
    """Walk the deal through the stages until it closes or the export time is reached.
    While in a stage, the rep may push the close date or change the amount: the CRM's
    stage history records those edits too, as rows that keep the stage."""
    at = deal.created_at
    index = 1 if rng.random() < 0.05 else 0
    deal.stage = OPEN_STAGES[index]
    stalls = rng.random() < 0.03 * slips
    skip_chance = SKIP_CHANCE * (1 - deal.owner.diligence) / 0.15
    while True:
        mean = MEAN_DAYS_IN_STAGE[index] * (6 if stalls else 1)
        days = max(0.3, rng.expovariate(1 / mean))
        nxt = datetime.combine((at + timedelta(days=days)).date(), time(0)) + timedelta(
            hours=rng.randint(8, 18), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
        if nxt <= at:
            nxt = at + timedelta(hours=2)
        edit_stay(rng, deal, at, min(nxt, EXPORTED_AT), slips * (3 if stalls else 1))
        if nxt > EXPORTED_AT:
            break
        lose = LOSE_CHANCE[index] / skill
        roll = rng.random()
        if roll < lose:
            competitor = rng.random() < 0.25
            to = LOST_TO_COMPETITION if competitor else LOST
            deal.loss_reason = (rng.choice(COMPETITOR_REASONS) if competitor else
                                rng.choices([r for r, _ in LOSS_REASONS],
                                            [w for _, w in LOSS_REASONS])[0])
        elif index == len(OPEN_STAGES) - 1:
            to = WON
        elif roll < lose + skip_chance and index + 2 < len(OPEN_STAGES):
            index += 2
            to = OPEN_STAGES[index]
        else:
            index += 1
            to = OPEN_STAGES[index]
        if to == OPEN_STAGES[-2] and deal.amount is not None and rng.random() < 0.3:
            deal.amount = round(deal.amount * rng.uniform(0.8, 1.25), -2)
        if to in (WON, LOST, LOST_TO_COMPETITION):
            deal.close_date = nxt.date()
        elif deal.close_date < nxt.date() and rng.random() < 0.7:
            deal.close_date = nxt.date() + timedelta(days=rng.randint(14, 60))
        deal.moves.append((nxt, deal.stage, to, deal.amount, deal.close_date))
        deal.stage = to
        at = nxt
        if to in (WON, LOST, LOST_TO_COMPETITION):
            break
    touched = deal.moves[-1][0] if deal.moves else deal.created_at
    if deal.stage in OPEN_STAGES and rng.random() < 0.6:
        touched = max(touched, EXPORTED_AT - timedelta(days=rng.uniform(0, 20)))
    deal.modified_at = min(touched, EXPORTED_AT).replace(microsecond=0)
    if deal.stage in OPEN_STAGES and rng.random() < deal.owner.diligence:
        deal.next_step = rng.choice([step for step in NEXT_STEPS if step])


def edit_stay(rng: random.Random, deal: Deal, start: datetime, end: datetime,
              slips: float) -> None:
    """Edits while the deal sits in a stage: a close date pushed, or the amount changed."""
    days = (end - start).total_seconds() / 86400
    for _ in range(poisson(rng, days / 30 * slips)):
        at = (start + timedelta(days=rng.uniform(0, days))).replace(microsecond=0)
        if at <= start or at >= end:
            continue
        if deal.amount is not None and rng.random() < 0.25:
            deal.amount = round(deal.amount * rng.uniform(0.8, 1.2), -2)
        else:
            deal.close_date = max(deal.close_date, at.date()) + timedelta(
                days=rng.randint(7, 45))
        deal.moves.append((at, deal.stage, deal.stage, deal.amount, deal.close_date))
        start = at


def build_accounts(rng: random.Random, reps: list[Person]) -> list[dict]:
    uid = Ids(2)
    names: set[str] = set()
    accounts = []
    while len(accounts) < 320:
        if rng.random() < 0.15:
            name = f"{rng.choice(LATIN_FIRMS)} {rng.choice(['Ltd', 'Co.', 'Group', 'GmbH'])}"
        else:
            name = rng.choice(CITIES) + rng.choice(FIRMS) + rng.choice(SUFFIXES)
        if name in names:
            continue
        names.add(name)
        owner = rng.choice(reps)
        created = business_time(rng, FIRST_DAY - timedelta(days=rng.randint(30, 900)))
        accounts.append({
            "Record Id": "zcrm_" + uid(), "Account Owner.id": "zcrm_" + owner.user_id,
            "Account Owner": owner.name, "Account Name": name,
            "Account Type": rng.choice(["Customer", "Prospect", "Partner", "Customer"]),
            "Industry": rng.choice(INDUSTRIES), "Billing City": rng.choice(CITIES),
            "Phone": f"+86 21 {rng.randint(10000000, 99999999)}",
            "Website": f"www.example-{len(accounts)}.cn", "Created Time": fmt_ts(created),
            "Modified Time": fmt_ts(created + timedelta(days=rng.randint(0, 400))),
        })
    return accounts


def build_deals(rng: random.Random, reps: list[Person], accounts: list[dict]) -> list[Deal]:
    """Each rep sells mostly to their own book of accounts, often again to a customer."""
    uid = Ids(3)
    deals: list[Deal] = []
    books = {rep.user_id: [a for a in accounts if a["Account Owner.id"] == "zcrm_" + rep.user_id]
             for rep in reps}
    wins: dict[str, list[tuple[date, dict]]] = {rep.user_id: [] for rep in reps}
    day = FIRST_DAY
    while day <= AS_OF:
        for rep in reps:
            if day < rep.starts or rng.random() >= rep.deals_per_month / 30.4:
                continue
            customers = [a for won, a in wins[rep.user_id] if won < day]
            roll = rng.random()
            if customers and roll < 0.4:
                account = rng.choice(customers)
            elif books[rep.user_id] and roll < 0.9:
                account = rng.choice(books[rep.user_id])
            else:
                account = rng.choice(accounts)
            created = business_time(rng, day)
            if created > EXPORTED_AT:
                continue
            amount = round(rng.lognormvariate(math.log(180_000 * rep.deal_size), 0.7), -2)
            deal = Deal(
                deal_id=uid(), owner=rep,
                name=f"{account['Account Name']} - {rng.choice(PRODUCTS)}",
                account=(account["Record Id"], account["Account Name"]),
                created_at=created,
                amount=None if rng.random() < 0.03 else amount,
                deal_type=rng.choice(["New Business", "Existing Business"]),
                lead_source=rng.choice(LEAD_SOURCES),
                close_date=day + timedelta(days=rng.randint(30, 120)),
            )
            if rng.random() < 0.04:
                deal.description = "客户要求分两期交付。\n第一期：试点。"
            simulate_deal(rng, deal, rep.skill, rep.slips)
            if deal.stage == WON:
                wins[rep.user_id].append((deal.close_date, account))
            deals.append(deal)
        day += timedelta(days=1)
    return deals


# Partner accounts: Zoho's Account Type says which are distributors (分销商) and which are
# resellers (代理商); config/channels.yaml turns a deal through them into a channel.
PARTNERS = [("华东鼎盛分销有限公司", "Distributor"), ("北方瑞丰供应链有限公司", "Distributor"),
            ("恒泰代理服务有限公司", "Reseller"), ("Northwind Resellers Ltd", "Reseller"),
            ("深圳远航渠道科技有限公司", "Reseller")]
ECOMMERCE_SOURCES = ["天猫", "京东", "Online Store"]
ECOMMERCE_PRODUCTS = ["网店订单", "Online order", "旗舰店采购"]


def add_channels(rng: random.Random, reps: list[Person], accounts: list[dict],
                 deals: list[Deal]) -> tuple[list[dict], list[Deal]]:
    """The partner accounts, the deals through them and the e-commerce deals, drawn from
    their own `rng` after everything else: (partner accounts, new deals)."""
    account_id, deal_id = Ids(8), Ids(9)
    partners = []
    for name, kind in PARTNERS:
        owner = rng.choice(reps)
        created = business_time(rng, FIRST_DAY - timedelta(days=rng.randint(60, 600)))
        partners.append({
            "Record Id": "zcrm_" + account_id(), "Account Owner.id": "zcrm_" + owner.user_id,
            "Account Owner": owner.name, "Account Name": name, "Account Type": kind,
            "Industry": "Wholesale", "Billing City": rng.choice(CITIES),
            "Phone": f"+86 21 {rng.randint(10000000, 99999999)}",
            "Website": f"www.partner-{len(partners)}.cn", "Created Time": fmt_ts(created),
            "Modified Time": fmt_ts(created + timedelta(days=rng.randint(0, 400))),
        })
    # a partner's deals: each rep works with one or two partners, on some of their deals
    for deal in deals:
        roll = rng.random()
        if roll < 0.16:
            partner = partners[hash_pick(deal.owner.user_id, rng.random() < 0.7,
                                         len(partners))]
            deal.partner = (partner["Record Id"], partner["Account Name"])
        elif roll < 0.19:
            deal.channel = "直销"  # the rep said so in the channel field
    new_deals = []
    # e-commerce: orders from the online stores, recognised by their Lead Source
    for _ in range(40):
        rep = rng.choice(reps[:6])
        day = FIRST_DAY + timedelta(days=rng.randint(0, (AS_OF - FIRST_DAY).days))
        if day < rep.starts:
            continue
        account = rng.choice(accounts)
        deal = Deal(
            deal_id=deal_id(), owner=rep,
            name=f"{account['Account Name']} - {rng.choice(ECOMMERCE_PRODUCTS)}",
            account=(account["Record Id"], account["Account Name"]),
            created_at=business_time(rng, day),
            amount=round(rng.lognormvariate(math.log(40_000), 0.5), -2),
            deal_type="New Business", lead_source=rng.choice(ECOMMERCE_SOURCES),
            close_date=day + timedelta(days=rng.randint(10, 40)),
        )
        if deal.created_at > EXPORTED_AT:
            continue
        simulate_deal(rng, deal, rep.skill * 1.3, rep.slips)
        new_deals.append(deal)
    # a channel conflict: a customer with an open direct deal, now also offered through a
    # reseller by a rep of another team
    direct = next(d for d in reversed(deals) if d.stage in OPEN_STAGES
                  and not d.partner[0] and not d.channel)
    other = next(r for r in reps if r.team != direct.owner.team and r.starts <= FIRST_DAY)
    reseller = partners[2]
    conflict = Deal(
        deal_id=deal_id(), owner=other, name=f"{direct.account[1]} - 代理商报价",
        account=direct.account,
        created_at=business_time(rng, AS_OF - timedelta(days=12)),
        amount=round(direct.amount or 100_000, -2), deal_type="New Business",
        lead_source="Partner", close_date=AS_OF + timedelta(days=40),
        partner=(reseller["Record Id"], reseller["Account Name"]),
    )
    conflict.modified_at = conflict.created_at
    conflict.next_step = "确认代理商报价"
    new_deals.append(conflict)
    return partners, new_deals


def hash_pick(user_id: str, first: bool, size: int) -> int:
    """A rep's usual partner (first) or their second one, the same on every run."""
    return (int(user_id[-4:]) + (0 if first else 1)) % size


def fmt_ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def fmt_amount(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def deal_row(deal: Deal, stage: str, amount: float | None, close_date: date,
             modified_at: datetime) -> dict:
    owner = deal.owner
    probability = PROBABILITY[stage]
    closed = stage in (WON, LOST, LOST_TO_COMPETITION)
    return {
        "Record Id": "zcrm_" + deal.deal_id, "Deal Owner.id": "zcrm_" + owner.user_id,
        "Deal Owner": owner.name, "Deal Name": deal.name, "Amount": fmt_amount(amount),
        "Closing Date": close_date.isoformat(), "Account Name.id": deal.account[0],
        "Account Name": deal.account[1], "Stage": stage_label(stage, modified_at),
        "Type": deal.deal_type, "Probability (%)": str(probability),
        "Expected Revenue": fmt_amount(None if amount is None else amount * probability / 100),
        "Next Step": "" if closed else deal.next_step, "Lead Source": deal.lead_source,
        "Contact Name.id": "", "Contact Name": "", "Created By.id": "zcrm_" + owner.user_id,
        "Created By": owner.name, "Modified By.id": "zcrm_" + owner.user_id,
        "Modified By": owner.name, "Created Time": fmt_ts(deal.created_at),
        "Modified Time": fmt_ts(modified_at), "Last Activity Time": fmt_ts(modified_at),
        "Reason For Loss": deal.loss_reason if stage in (LOST, LOST_TO_COMPETITION) else "",
        "Description": deal.description, "Tag": "", "Channel": deal.channel,
        "Channel Partner.id": deal.partner[0], "Channel Partner": deal.partner[1],
    }


def deal_state(deal: Deal, at: datetime) -> dict | None:
    """The deal's row in an export taken at `at`; None before it was created."""
    if deal.created_at > at:
        return None
    earlier = [m for m in deal.moves if m[0] <= at]
    if earlier:
        moved, _, stage, amount, close_date = earlier[-1]
    else:
        moved, stage = deal.created_at, (deal.moves[0][1] if deal.moves else deal.stage)
        first = deal.moves[0] if deal.moves else None
        amount = deal.amount if first is None else first[3]
        close_date = deal.close_date if first is None else first[4]
    modified = deal.modified_at if at >= EXPORTED_AT else moved
    row = deal_row(deal, stage, amount, close_date, modified)
    if stage not in (LOST, LOST_TO_COMPETITION):
        row["Reason For Loss"] = ""
    return row


def history_rows(deals: list[Deal], until: datetime) -> list[dict]:
    uid = Ids(4)
    rows = []
    for deal in deals:
        entered = deal.created_at
        for at, from_stage, to_stage, amount, close_date in deal.moves:
            probability = PROBABILITY[from_stage]
            row = {
                "Record Id": "zcrm_" + uid(), "Deal Name.id": "zcrm_" + deal.deal_id,
                "Deal Name": deal.name, "Stage": stage_label(from_stage, at),
                "Stage Duration (Calendar Days)": str((at.date() - entered.date()).days),
                "Probability (%)": str(probability),
                "Moved To": stage_label(to_stage, at), "Amount": fmt_amount(amount),
                "Expected Revenue": fmt_amount(
                    None if amount is None else amount * probability / 100),
                "Closing Date": close_date.isoformat(), "Modified By": deal.owner.name,
                "Modified By.id": "zcrm_" + deal.owner.user_id, "Modified Time": fmt_ts(at),
            }
            if at <= until:
                rows.append(row)
            if to_stage != from_stage:
                entered = at
    return rows


def activity_rows(rng: random.Random, reps: list[Person], deals: list[Deal],
                  accounts: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    call_id, task_id, meeting_id = Ids(5), Ids(6), Ids(7)
    by_owner: dict[str, list[Deal]] = {}
    for deal in deals:
        by_owner.setdefault(deal.owner.user_id, []).append(deal)
    by_id = {a["Record Id"]: a for a in accounts}
    calls, tasks, meetings = [], [], []
    called_back: dict[str, date] = {}
    week = FIRST_DAY
    while week <= AS_OF:
        for rep in reps:
            if week < rep.starts:
                continue
            mine = by_owner.get(rep.user_id, [])
            open_deals = [d for d in mine if d.created_at.date() <= week
                          and (d.stage in OPEN_STAGES or d.moves[-1][0].date() >= week)]
            key_accounts = list(dict.fromkeys(
                d.account[0] for d in mine if d.stage == WON
                and timedelta(0) <= week - d.close_date <= timedelta(days=365)))
            related = partial(related_record, rng, open_deals,
                              [by_id[a] for a in key_accounts], accounts)
            when = partial(time_in_week, rng, week)
            # follow-ups, as the rep's diligence goes: an open deal not called for ten days,
            # a key account not called for three weeks (客户回访) gets one of the week's calls
            due = [("zcrm_" + d.deal_id, d.name, 10) for d in open_deals] + [
                (a, by_id[a]["Account Name"], 21) for a in key_accounts]
            follow_ups = [(rid, name) for rid, name, days in due
                          if week - called_back.get(rid, date.min) >= timedelta(days=days)
                          and rng.random() < rep.diligence ** 5]
            for rid, _ in follow_ups:
                called_back[rid] = week

            for number in range(max(poisson(rng, 3.0 * rep.activity), len(follow_ups))):
                at = when()
                if at > EXPORTED_AT:
                    continue
                rid, rname = follow_ups[number] if number < len(follow_ups) else related()
                calls.append({
                    "Record Id": "zcrm_" + call_id(), "Subject": rng.choice(CALL_SUBJECTS),
                    "Call Type": rng.choice(["Outbound", "Outbound", "Inbound"]),
                    "Call Purpose": rng.choice(["Prospecting", "Negotiation", "Follow-up"]),
                    "Call Start Time": fmt_ts(at),
                    "Call Duration (in seconds)": str(rng.randint(45, 2400)),
                    "Call Owner.id": "zcrm_" + rep.user_id, "Call Owner": rep.name,
                    "Related To.id": rid, "Related To": rname, "Created Time": fmt_ts(at),
                    "Modified Time": fmt_ts(at),
                })
            for _ in range(poisson(rng, 1.2 * rep.activity)):
                at = when()
                if at > EXPORTED_AT:
                    continue
                rid, rname = related()
                end = at + timedelta(minutes=rng.choice([30, 45, 60, 90]))
                meetings.append({
                    "Record Id": "zcrm_" + meeting_id(), "Title": rng.choice(MEETING_TITLES),
                    "From": fmt_ts(at), "To": fmt_ts(end), "Host.id": "zcrm_" + rep.user_id,
                    "Host": rep.name, "Related To.id": rid, "Related To": rname,
                    "Venue": rng.choice(CITIES), "Created Time": fmt_ts(at - timedelta(days=3)),
                    "Modified Time": fmt_ts(at),
                })
            for _ in range(poisson(rng, 1.5)):
                created = when() - timedelta(days=rng.randint(1, 10))
                if created > EXPORTED_AT:
                    continue
                due = created.date() + timedelta(days=rng.randint(1, 14))
                # old tasks get done in the end; recent ones as the rep's habits go
                done = due < AS_OF - timedelta(days=21) or (
                    due < AS_OF and rng.random() < rep.diligence)
                rid, rname = related()
                tasks.append({
                    "Record Id": "zcrm_" + task_id(), "Subject": rng.choice(TASK_SUBJECTS),
                    "Due Date": due.isoformat(),
                    "Status": "Completed" if done else rng.choice(TASK_STATUSES),
                    "Priority": rng.choice(PRIORITIES), "Task Owner.id": "zcrm_" + rep.user_id,
                    "Task Owner": rep.name, "Related To.id": rid, "Related To": rname,
                    "Created Time": fmt_ts(created),
                    "Modified Time": fmt_ts(min(created + timedelta(days=2), EXPORTED_AT)),
                    "Closed Time": fmt_ts(business_time(rng, due)) if done else "",
                })
        week += timedelta(days=7)
    return calls, tasks, meetings


def related_record(rng: random.Random, open_deals: list[Deal], key_accounts: list[dict],
                   accounts: list[dict]) -> tuple[str, str]:
    """What an activity is about: mostly one of the rep's open deals, else one of their key
    accounts (a customer of the last year), else any account."""
    roll = rng.random()
    if open_deals and roll < 0.6:
        deal = rng.choice(open_deals)
        return "zcrm_" + deal.deal_id, deal.name
    if key_accounts and roll < 0.9:
        account = rng.choice(key_accounts)
    else:
        account = rng.choice(accounts)
    return account["Record Id"], account["Account Name"]


def time_in_week(rng: random.Random, week: date) -> datetime:
    return business_time(rng, week + timedelta(days=rng.randint(0, 4)))


def org_rows(people: list[Person]) -> list[dict]:
    return [{
        "user_id": ("zcrm_" if p.prefix_in_org else "") + p.user_id, "name": p.name,
        "email": p.email, "manager_id": p.manager_id, "team": p.team, "region": p.region,
    } for p in people if p.in_org]


def target_rows(rng: random.Random, people: list[Person]) -> list[dict]:
    rows = []
    for p in people:
        if not (p.sells and p.has_targets):
            continue
        expected = p.deals_per_month * 180_000 * p.deal_size * 0.35 * p.skill
        month = date(2025, 1, 1)
        while month <= date(2026, 12, 1):
            target = round(expected * rng.uniform(1.1, 1.5), -4)
            rows.append({"period": month.strftime("%Y-%m"), "user_id": p.user_id,
                         "metric": "won_amount", "target": f"{target:.0f}"})
            month = (month + timedelta(days=32)).replace(day=1)
    return rows


def write_csv(path: Path, header: list[str], rows: list[dict], *, bom: bool = False,
              quote_all: bool = True) -> None:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\r\n",
                                quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
        writer.writeheader()
        writer.writerows(rows)


def generate(out: Path, as_of: date = AS_OF) -> None:
    """The inbox as exported on the evening of `as_of` (at most AS_OF): deals as they were
    then, the history and activities up to then, and a week-old partial deals export."""
    rng = random.Random(SEED)
    out.mkdir(parents=True, exist_ok=True)
    people = build_org(rng)
    sellers = [p for p in people if p.sells]
    accounts = build_accounts(rng, sellers)
    deals = build_deals(rng, sellers, accounts)
    calls, tasks, meetings = activity_rows(rng, sellers, deals, accounts)
    partners, channel_deals = add_channels(random.Random(CHANNEL_SEED), sellers, accounts,
                                           deals)
    accounts = accounts + partners
    deals = deals + channel_deals
    exported = datetime.combine(as_of, EXPORTED_AT.time())
    stale = exported - timedelta(days=7)
    stamp, stale_stamp = as_of.strftime("%Y_%m_%d"), stale.strftime("%Y_%m_%d")
    now = [r for r in (deal_state(d, exported) for d in deals) if r is not None]
    week_old = [deal_state(d, stale) for d in deals
                if d.created_at <= stale and d.modified_at > stale]
    write_csv(out / f"Deals_{stamp}.csv", DEAL_HEADER + CHANNEL_HEADER, now, bom=True)
    write_csv(out / f"Deals_{stale_stamp}.csv", DEAL_HEADER + CHANNEL_HEADER,
              [r for r in week_old if r], bom=True)
    write_csv(out / f"Deals_Stage_History_{stamp}.csv", HISTORY_HEADER,
              history_rows(deals, exported))

    def until(rows: list[dict], column: str) -> list[dict]:
        return [r for r in rows if r[column] <= fmt_ts(exported)]

    write_csv(out / f"Accounts_{stamp}.csv", ACCOUNT_HEADER, accounts)
    write_csv(out / f"Calls_{stamp}.csv", CALL_HEADER, until(calls, "Call Start Time"))
    write_csv(out / f"Tasks_{stamp}.csv", TASK_HEADER, until(tasks, "Created Time"))
    write_csv(out / f"Meetings_{stamp}.csv", MEETING_HEADER, until(meetings, "From"))
    write_csv(out / "org.csv", ["user_id", "name", "email", "manager_id", "team", "region"],
              org_rows(people), quote_all=False)
    targets = target_rows(rng, people)
    targets += sample_ops.write(out, people, deals, WON, as_of, write_csv)
    write_csv(out / "targets.csv", ["period", "user_id", "team", "metric", "target"],
              targets, quote_all=False)


def generate_series(out: Path, days: int) -> list[Path]:
    """One inbox per night for the `days` nights up to AS_OF, in out/<date>/."""
    folders = []
    for back in range(days - 1, -1, -1):
        day = AS_OF - timedelta(days=back)
        generate(out / day.isoformat(), day)
        folders.append(out / day.isoformat())
    return folders


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("data/sample"))
    parser.add_argument("--series", type=int, metavar="N",
                        help="write N nightly inboxes, one folder per date, ending on AS_OF")
    args = parser.parse_args(argv)
    if args.series:
        generate_series(args.out, args.series)
    else:
        generate(args.out)


if __name__ == "__main__":
    main()

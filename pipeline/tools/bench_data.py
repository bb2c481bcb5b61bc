"""A Zoho CRM inbox at any scale, written by DuckDB in seconds, for the benchmark.

pipeline/tools/sample.py simulates a small team rep by rep; this writes the same export shapes
(Deals, Deals_Stage_History, Calls, Tasks, Meetings, Accounts, org.csv, targets.csv) for a
million deals from SQL. Every value comes from a hash of the row number, so a scale always
gives the same files. Per deal: about 4 stage-history rows and 10 activities; one rep per
2,000 deals (at least 20), one manager per 10 reps, one director per 10 managers.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.tools.sample import (
    CALL_HEADER,
    DEAL_HEADER,
    HISTORY_HEADER,
    MEETING_HEADER,
    OPEN_STAGES,
    TASK_HEADER,
)

AS_OF = "2026-11-20"
SCALES = {"small": 10_000, "medium": 100_000, "large": 1_000_000}


@dataclass(frozen=True)
class Scale:
    deals: int

    @property
    def reps(self) -> int:
        return max(20, self.deals // 2000)

    @property
    def managers(self) -> int:
        return max(2, self.reps // 10)

    @property
    def directors(self) -> int:
        return max(1, self.managers // 10)

    @property
    def accounts(self) -> int:
        return max(100, self.deals // 10)


def scale_of(name: str) -> Scale:
    """small, medium, large, or a number of deals."""
    return Scale(SCALES[name] if name in SCALES else int(name))


def generate(out: Path, scale: Scale, threads: int = 2) -> dict[str, int]:
    """Writes the inbox into `out`; returns the rows written per file."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("set threads = $t", {"t": threads})
    params = {"deals": scale.deals, "reps": scale.reps, "managers": scale.managers,
              "directors": scale.directors, "accounts": scale.accounts, "as_of": AS_OF,
              "stages": OPEN_STAGES}
    for sql in _MACROS:
        con.execute(sql)
    con.execute(_DEALS, _used(params, _DEALS))
    counts = {}
    for name, header, sql in _FILES:
        path = out / name
        columns = ", ".join(f'"{c}"' for c in header)
        con.execute(f"copy (select {columns} from ({sql})) to '{_literal(path)}' "
                    "(header, force_quote *)", _used(params, sql))
        counts[name] = con.execute(f"select count(*) from read_csv('{_literal(path)}')"
                                   ).fetchone()[0]
    con.close()
    return counts


def _used(params: dict, sql: str) -> dict:
    """DuckDB takes exactly the parameters a statement names."""
    return {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")


# u(i, k): a uniform number in [0, 1) for row i and purpose k
_MACROS = [
    "create macro u(i, k) as (hash(i, k) % 1000003) / 1000003.0",
    "create macro ts(t) as strftime(t, '%Y-%m-%d %H:%M:%S')",
    "create macro rep_id(r) as 'zcrm_6' || lpad(r::varchar, 12, '0')",
    "create macro rep_name(r) as (case when r % 3 = 0 then 'Rep ' || r "
    "else '销售' || r end)",
    "create macro deal_id(i) as 'zcrm_9' || lpad(i::varchar, 12, '0')",
]

_DEALS = """
create table deals as
with base as (
    select
        i,
        i % $reps as rep,
        case when u(i, 1) < 0.30 then 'open' when u(i, 1) < 0.55 then 'won' else 'lost' end
            as fate,
        floor(u(i, 2) * 6)::integer as furthest,
        7 + floor(u(i, 4) * 120)::integer as cycle_days,
        ($as_of::date + interval 20 hour) as exported_at
    from range($deals) as t(i)
),
timed as (
    select
        *,
        case when fate = 'won' then 5 else furthest end as reached,
        exported_at - interval 1 day * (cycle_days + 1 + floor(u(i, 3) * 600)::integer)
            - interval 1 minute * floor(u(i, 8) * 600)::integer as created_at
    from base
)
select
    *,
    created_at + interval 1 day * cycle_days as closed_at,
    case
        when fate = 'open' then $stages[reached + 1]
        when fate = 'won' then 'Closed Won'
        when u(i, 7) < 0.3 then 'Closed-Lost to Competition'
        else 'Closed Lost'
    end as stage,
    round(20000 + u(i, 6) * 380000, -2) as amount
from timed
"""

_DEAL_ROWS = """
select
    deal_id(i) as "Record Id",
    rep_id(rep) as "Deal Owner.id",
    rep_name(rep) as "Deal Owner",
    'Deal ' || i as "Deal Name",
    amount::bigint::varchar as "Amount",
    strftime(case when fate = 'open'
                  then $as_of::date + interval 1 day * floor(u(i, 5) * 90)::integer
                  else closed_at end, '%Y-%m-%d') as "Closing Date",
    'zcrm_8' || lpad((i % $accounts)::varchar, 12, '0') as "Account Name.id",
    'Account ' || (i % $accounts) as "Account Name",
    stage as "Stage",
    case when i % 3 = 0 then 'Existing Business' else 'New Business' end as "Type",
    (case stage when 'Closed Won' then 100 when 'Closed Lost' then 0
        when 'Closed-Lost to Competition' then 0
        else [10, 20, 40, 60, 75, 90][reached + 1] end)::varchar as "Probability (%)",
    '' as "Expected Revenue",
    case when fate = 'open' then 'Follow up' else '' end as "Next Step",
    ['Advertisement', 'Cold Call', 'Employee Referral', 'Partner', 'Web Download']
        [1 + i % 5] as "Lead Source",
    '' as "Contact Name.id", '' as "Contact Name",
    rep_id(rep) as "Created By.id", rep_name(rep) as "Created By",
    rep_id(rep) as "Modified By.id", rep_name(rep) as "Modified By",
    ts(created_at) as "Created Time",
    ts(case when fate = 'open'
            then created_at + interval 1 day * (cycle_days * reached / 6)::integer
            else closed_at end) as "Modified Time",
    '' as "Last Activity Time",
    case when fate = 'lost' then ['Price', 'No budget', 'Lost to competitor', 'No decision',
                                  'Timing'][1 + i % 5] else '' end as "Reason For Loss",
    '' as "Description", '' as "Tag"
from deals
"""

# a deal moves through the open stages up to the one it reached, then to its close
_HISTORY_ROWS = """
with moves as (
    select deals.*, k
    from deals, range(6) as r(k)
    where k < reached or (k = reached and fate <> 'open')
),
timed as (
    select
        *,
        created_at + interval 1 minute * floor(cycle_days * 1440.0 * (k + 1) / (reached + 1))
            as moved_at,
        created_at + interval 1 minute * floor(cycle_days * 1440.0 * k / (reached + 1))
            as entered_at
    from moves
)
select
    'zcrm_4' || lpad((i * 6 + k)::varchar, 13, '0') as "Record Id",
    deal_id(i) as "Deal Name.id",
    'Deal ' || i as "Deal Name",
    $stages[k + 1] as "Stage",
    date_diff('day', entered_at, moved_at)::varchar as "Stage Duration (Calendar Days)",
    [10, 20, 40, 60, 75, 90][k + 1]::varchar as "Probability (%)",
    case when k < reached then $stages[k + 2] else stage end as "Moved To",
    amount::bigint::varchar as "Amount",
    '' as "Expected Revenue",
    strftime(closed_at, '%Y-%m-%d') as "Closing Date",
    rep_name(rep) as "Modified By",
    rep_id(rep) as "Modified By.id",
    ts(case when k = reached then closed_at else moved_at end) as "Modified Time"
from timed
"""


def _activities(count: str, salt: int) -> str:
    """Rows of an activity kind: an owner's deal, at a time before the export."""
    return f"""
    select
        n,
        n % $reps as rep,
        (n % $reps) + $reps * floor(u(n, {salt}) * ($deals // $reps))::bigint as deal,
        ($as_of::date + interval 20 hour)
            - interval 1 minute * floor(u(n, {salt + 1}) * 1440 * 700)::bigint as happened_at
    from range({count}) as t(n)
    """


_CALL_ROWS = f"""
select
    'zcrm_5' || lpad(n::varchar, 13, '0') as "Record Id",
    'Call ' || n as "Subject",
    case when n % 4 = 0 then 'Inbound' else 'Outbound' end as "Call Type",
    'Prospecting' as "Call Purpose",
    ts(happened_at) as "Call Start Time",
    (60 + n % 900)::varchar as "Call Duration (in seconds)",
    rep_id(rep) as "Call Owner.id", rep_name(rep) as "Call Owner",
    deal_id(deal) as "Related To.id", 'Deal ' || deal as "Related To",
    ts(happened_at) as "Created Time", ts(happened_at) as "Modified Time"
from ({_activities("$deals * 5", 11)})
"""

_TASK_ROWS = f"""
select
    'zcrm_3' || lpad(n::varchar, 13, '0') as "Record Id",
    'Task ' || n as "Subject",
    strftime(happened_at + interval 3 day, '%Y-%m-%d') as "Due Date",
    case when n % 5 = 0 then 'Not Started' else 'Completed' end as "Status",
    'Normal' as "Priority",
    rep_id(rep) as "Task Owner.id", rep_name(rep) as "Task Owner",
    deal_id(deal) as "Related To.id", 'Deal ' || deal as "Related To",
    ts(happened_at) as "Created Time", ts(happened_at) as "Modified Time",
    case when n % 5 = 0 then '' else ts(happened_at + interval 2 day) end as "Closed Time"
from ({_activities("$deals * 3", 21)})
where n % 5 = 0 or happened_at + interval 2 day <= $as_of::date + interval 20 hour
"""

_MEETING_ROWS = f"""
select
    'zcrm_2' || lpad(n::varchar, 13, '0') as "Record Id",
    'Meeting ' || n as "Title",
    ts(happened_at) as "From", ts(happened_at + interval 1 hour) as "To",
    rep_id(rep) as "Host.id", rep_name(rep) as "Host",
    deal_id(deal) as "Related To.id", 'Deal ' || deal as "Related To",
    'Office' as "Venue",
    ts(happened_at) as "Created Time", ts(happened_at) as "Modified Time"
from ({_activities("$deals * 2", 31)})
where happened_at + interval 1 hour <= $as_of::date + interval 20 hour
"""

# 1 VP, directors under the VP, managers under directors, reps under managers
_ORG_ROWS = """
with people as (
    select 0 as n, 'vp' as kind, null::bigint as boss
    union all select n, 'director', 0 from range(1, $directors + 1) as t(n)
    union all select n, 'manager', 1 + (n - 1) % $directors
        from range(1000, 1000 + $managers) as t(n)
    union all select n, 'rep', 1000 + n % $managers from range($reps) as t(n)
)
select
    case when kind = 'rep' then rep_id(n) else '7' || lpad(n::varchar, 12, '0') end
        as user_id,
    case kind when 'rep' then rep_name(n) when 'manager' then '经理' || n
        when 'director' then 'Director ' || n else '总经理' end as name,
    kind || n || '@example.com' as email,
    case when boss is null then '' else '7' || lpad(boss::varchar, 12, '0') end
        as manager_id,
    case when kind = 'rep' then 'Team ' || (1000 + n % $managers)
         when kind = 'manager' then 'Team ' || n else '' end as team,
    '' as region
from people
"""

_TARGET_ROWS = """
select
    strftime(month, '%Y-%m') as period,
    rep_id(rep) as user_id,
    'won_amount' as metric,
    (round(($deals / $reps) * 0.25 / 24 * 200000 * (0.8 + u(rep, 41) * 0.4), -4))::bigint
        ::varchar as target
from range($reps) as t(rep),
    range(date '2025-01-01', date '2027-01-01', interval 1 month) as m(month)
"""

_FILES = [
    ("Deals.csv", DEAL_HEADER, _DEAL_ROWS),
    ("Deals_Stage_History.csv", HISTORY_HEADER, _HISTORY_ROWS),
    ("Calls.csv", CALL_HEADER, _CALL_ROWS),
    ("Tasks.csv", TASK_HEADER, _TASK_ROWS),
    ("Meetings.csv", MEETING_HEADER, _MEETING_ROWS),
    ("org.csv", ["user_id", "name", "email", "manager_id", "team", "region"], _ORG_ROWS),
    ("targets.csv", ["period", "user_id", "metric", "target"], _TARGET_ROWS),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small", help="small, medium, large or a number "
                        "of deals")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    for name, rows in generate(args.out, scale_of(args.scale)).items():
        print(f"{name}: {rows:,} rows")


if __name__ == "__main__":
    main()

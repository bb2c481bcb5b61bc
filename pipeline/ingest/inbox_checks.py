"""Checks across the files of an inbox, once every file is in. Only a missing deals export or
org file stops the run; every other fault costs the rows it is in, quarantined (raw_rejects)
or loaded with a warning (raw_warnings), as docs/inputs.md "What happens to bad input" lists:

- the required exports are there (else InputRejected: exit 3);
- the org chart is a tree (pipeline/ingest/org_checks.py);
- a stage-history row whose deal is not in the deals export is quarantined;
- calls, tasks, meetings and follow-ups about a deal or account the exports do not hold, and
  satisfaction answers likewise, load with a warning;
- a cost naming a channel the channels file does not list, or a team org.csv does not
  have, is quarantined;
- a loss label the loss-reason file does not know loads with a warning (it is its own reason);
- two targets for one rep or team, metric and month (the same period twice, or a month
  beside its quarter) are quarantined, all of them; a target for a rep or team org.csv
  does not have loads with a warning.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.config import Config
from pipeline.errors import InputRejected
from pipeline.ingest.canonical import REQUIRED_ENTITIES
from pipeline.ingest.files import FileResult
from pipeline.ingest.loss_reasons import warn_unmapped_labels
from pipeline.ingest.org_checks import check_org
from pipeline.ingest.quarantine import LoadedRows

ACTIVITY_TABLES = ("raw_crm__calls", "raw_crm__tasks", "raw_crm__meetings",
                   "raw_crm__activities")
# what a call, task or meeting, or a survey answer, may be about
KNOWN_SUBJECTS = ("select account_id from raw_crm__accounts union "
                  "select account_id from raw_crm__deals where account_id is not null union "
                  "select deal_id from raw_crm__deals")


def check_inbox(con, files: list[FileResult], warn: Callable[[str], None],
                config: Config) -> None:
    check_required(files, config)
    loaded = LoadedRows(con, files, warn)
    _add_missing_managers(con, files)
    check_org(con, loaded)
    _quarantine_orphan_history(con, loaded)
    _warn_unknown_activity_subjects(con, loaded)
    _warn_unknown_survey_subjects(con, loaded)
    _quarantine_unknown_cost_holders(con, loaded)
    _quarantine_overlapping_targets(con, loaded, config.fiscal_year_start_month)
    _warn_unknown_target_holders(con, loaded)
    warn_unmapped_labels(con, loaded, config.loss_reasons_file)


def check_required(files: list[FileResult], config: Config) -> None:
    """No deals export or no org file loaded: there is nothing to make a warehouse of. The
    message names each file that might have been it, refused or skipped, and why."""
    present = {f.mapping.entity.name for f in files if f.status == "loaded" and f.mapping}
    for name in REQUIRED_ENTITIES:
        if name in present:
            continue
        others = [f for f in files if f.status in ("refused", "skipped") and f.sha256
                  and (f.mapping is None or f.mapping.entity.name == name)]
        why = "".join(f"; {f.path.name} {f.status}: {f.note}" for f in others)
        raise InputRejected(str(config.inbox), f"no {name} export loaded{why}")


def _add_missing_managers(con, files: list[FileResult]) -> None:
    """Team lists that name managers without a row of their own (the mapping says so)."""
    for file in files:
        if file.status == "loaded" and file.mapping.add_missing_managers:
            con.execute(
                "insert into raw_ops__org (source, file_id, user_id, name, manager_id) "
                "select distinct $source, $file_id, manager_id, manager_id, null "
                "from raw_ops__org where file_id = $file_id and manager_id is not null "
                "and manager_id not in (select user_id from raw_ops__org)",
                {"source": file.mapping.source.name, "file_id": file.file_id})


def _quarantine_orphan_history(con, loaded: LoadedRows) -> None:
    """A stage-history row of a deal the deals export does not have (deleted in the CRM
    between the two exports, or its row quarantined) has no deal to tell the story of."""
    found = con.execute("""
        select history.file_id, history.record_number, history.deal_id
        from raw_crm__deal_stage_history as history
        where not exists (
            select 1 from raw_crm__deals as deals
            where deals.source = history.source and deals.deal_id = history.deal_id
        )
        order by 1, 2
    """).fetchall()
    for file, rows in loaded.by_file(found):
        column = loaded.column(file, "deal_id")
        loaded.quarantine(file, [
            (number, column, deal_id, f"the deal {deal_id} is not in the deals export "
             "(or its row there is quarantined)") for number, deal_id in rows])
        loaded.warn(file, rows[0][0], column, rows[0][1], f"{first_of(len(rows), 'row')} "
                    "quarantined: their deal is not in the deals export")


def _warn_unknown_activity_subjects(con, loaded: LoadedRows) -> None:
    for table in ACTIVITY_TABLES:
        found = con.execute(
            f"select file_id, record_number, related_id from {table} "
            f"where related_id not in ({KNOWN_SUBJECTS}) order by 1, 2").fetchall()
        for file, rows in loaded.by_file(found):
            column = loaded.column(file, "related_id")
            loaded.note(file, [(number, column, value, "about a deal or account that is in "
                                "neither the deals nor the accounts export")
                               for number, value in rows])
            loaded.warn(file, rows[0][0], column, rows[0][1],
                        f"{first_of(len(rows), 'row')} about a deal or account the exports "
                        "do not hold; they still count as their owner's activity")


def _warn_unknown_survey_subjects(con, loaded: LoadedRows) -> None:
    found = con.execute(f"""
        select file_id, record_number, deal_id is not null, coalesce(deal_id, account_id)
        from raw_ops__satisfaction
        where deal_id not in (select deal_id from raw_crm__deals)
            or (deal_id is null and account_id not in ({KNOWN_SUBJECTS}))
        order by 1, 2
    """).fetchall()
    for file, rows in loaded.by_file(found):
        noted = [(number, loaded.column(file, "deal_id" if is_deal else "account_id"), value,
                  f"the {'deal' if is_deal else 'account'} {value} is not in the exports: "
                  "the answer counts in the company's totals only")
                 for number, is_deal, value in rows]
        loaded.note(file, noted)
        loaded.warn(file, *noted[0][:3], f"{first_of(len(rows), 'answer')} about a deal or "
                    "account the exports do not hold; they count in the company's totals only")


def _quarantine_unknown_cost_holders(con, loaded: LoadedRows) -> None:
    """A cost for a channel the channels file does not list, or a team org.csv does not
    have, would count for no channel or team: it is quarantined."""
    channels = [r[0] for r in con.execute(
        "select channel from raw_config__channels order by channel_order, channel").fetchall()]
    found = con.execute("""
        select file_id, record_number, 'channel', channel
        from raw_ops__costs
        where channel is not null and not list_contains($channels, lower(trim(channel)))
        union all
        select file_id, record_number, 'team', team
        from raw_ops__costs
        where team not in (select team from raw_ops__org where team is not null)
        order by 1, 2, 3
    """, {"channels": channels}).fetchall()
    for file, rows in loaded.by_file(found):
        first_per_row: dict[int, tuple] = {}
        for number, kind, value in rows:
            first_per_row.setdefault(number, (number, kind, value))
        bad = [(number, loaded.column(file, kind), value,
                f"names the channel {value}, which the channels file does not list "
                f"({', '.join(channels)})" if kind == "channel"
                else f"names the team {value}, which org.csv does not have")
               for number, kind, value in first_per_row.values()]
        loaded.quarantine(file, bad)
        loaded.warn(file, *bad[0][:3], f"{first_of(len(bad), 'cost')} quarantined: their "
                    "channel or team is not known")


def _quarantine_overlapping_targets(con, loaded: LoadedRows, fiscal_start: int) -> None:
    """Two targets for one rep or team, metric and month (the same period twice, or a month
    beside its quarter) leave the right one to a guess: all of them are quarantined."""
    found = con.execute("""
        with targets as (
            select
                file_id,
                record_number,
                coalesce('user ' || user_id, 'team ' || team) as holder,
                metric,
                period,
                case
                    when period like '%-Q%' then (
                        make_date(left(period, 4)::integer - ($start > 1)::integer, $start, 1)
                        + to_months(3 * (right(period, 1)::integer - 1)))::date
                    else strptime(period || '-01', '%Y-%m-%d')::date
                end as first_month,
                case when period like '%-Q%' then 3 else 1 end as months
            from raw_ops__targets
        ),
        months as (
            select *, first_month + to_months(unnest(range(months))) as month from targets
        ),
        clashes as (
            select holder, metric, month from months group by all having count(*) > 1
        )
        select distinct months.holder, months.metric, months.file_id, months.record_number,
            months.period
        from months
        inner join clashes using (holder, metric, month)
        order by all
    """, {"start": fiscal_start}).fetchall()
    where = loaded.lines([(file_id, number) for _, _, file_id, number, _ in found])
    groups: dict[tuple[str, str], list[tuple]] = {}
    for holder, metric, *place in found:
        groups.setdefault((holder, metric), []).append(tuple(place))
    for (holder, metric), group in groups.items():
        for file_id, number, period in group:
            others = ", ".join(f"{where[(f, n)][0]} line {where[(f, n)][1]} ({p})"
                               for f, n, p in group if (f, n) != (file_id, number))
            file = loaded.file(file_id)
            loaded.quarantine(file, [(number, loaded.column(file, "period"), period,
                                      f"another {metric} target for {holder} covers the "
                                      f"same month: {others}; keep one")])
        file_id, number, period = group[0]
        file = loaded.file(file_id)
        loaded.warn(file, number, loaded.column(file, "period"), period,
                    f"{first_of(len(group), 'overlapping target')} for {holder}, "
                    f"{metric}: all quarantined")


def _warn_unknown_target_holders(con, loaded: LoadedRows) -> None:
    found = con.execute("""
        select file_id, record_number, user_id is not null, coalesce(user_id, team)
        from raw_ops__targets
        where user_id not in (select user_id from raw_ops__org)
            or team not in (select team from raw_ops__org where team is not null)
        order by 1, 2
    """).fetchall()
    for file, rows in loaded.by_file(found):
        noted = [(number, loaded.column(file, "user_id" if is_user else "team"), value,
                  f"the {'user' if is_user else 'team'} {value} is not in org.csv: the "
                  "target shows in no manager's report") for number, is_user, value in rows]
        loaded.note(file, noted)
        loaded.warn(file, *noted[0][:3], f"{first_of(len(rows), 'target')} for a rep or team "
                    "org.csv does not have")


def first_of(count: int, noun: str) -> str:
    """A warning names the first of the rows it is about, and how many there are."""
    return f"1 {noun}" if count == 1 else f"the first of {count} {noun}s"

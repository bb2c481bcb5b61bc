"""Checks across the files of an inbox, once every file is loaded: the required exports are
there, the org chart is a tree, and no target is given twice."""

from __future__ import annotations

from pipeline.canonical import REQUIRED_ENTITIES
from pipeline.config import Config
from pipeline.db import row
from pipeline.errors import InputRejected
from pipeline.files import FileResult


def check_inbox(con, files: list[FileResult], warnings: list[str], config: Config) -> None:
    _check_required_entities(files, config)
    _add_missing_managers(con, files)
    _check_org(con, warnings)
    _check_targets(con)


def _check_required_entities(files: list[FileResult], config: Config) -> None:
    loaded = {f.mapping.entity.name for f in files if f.status == "loaded"}
    for name in REQUIRED_ENTITIES:
        if name not in loaded:
            raise InputRejected(str(config.inbox), f"no {name} export found in the inbox")


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


def _check_org(con, warnings: list[str]) -> None:
    """The org files must form a tree: each user once, every manager a user, no loops."""
    org = ("(select org.*, files.file_name from raw_ops__org as org "
           "inner join raw_files as files on files.file_id = org.file_id)")
    duplicate = row(
        con, f"select user_id, list(file_name || ' line ' || (record_number + 1) "
        f"order by file_id, record_number) from {org} group by 1 having count(*) > 1 "
        "order by 1 limit 1")
    if duplicate:
        raise InputRejected(duplicate[1][-1].rsplit(" line ", 1)[0],
                            f"user listed more than once: {', '.join(duplicate[1])}",
                            column="user_id", value=duplicate[0])
    dangling = row(
        con, f"select file_name, record_number + 1, manager_id from {org} "
        "where manager_id is not null and manager_id not in (select user_id from raw_ops__org) "
        "order by file_id, record_number limit 1")
    if dangling:
        raise InputRejected(dangling[0], "manager_id is not the user_id of anyone in the org file",
                            line=dangling[1], column="manager_id", value=dangling[2])
    cycle = row(con, """
        with recursive chain (start_id, manager_id, depth) as (
            select user_id, manager_id, 1 from raw_ops__org where manager_id is not null
            union all
            select chain.start_id, org.manager_id, chain.depth + 1
            from chain
            inner join raw_ops__org as org on org.user_id = chain.manager_id
            where org.manager_id is not null
                and chain.depth <= (select count(*) from raw_ops__org)
        )
        select start_id from chain where manager_id = start_id order by 1 limit 1
    """)
    if cycle:
        raise InputRejected("org file", "the chain of managers above this user leads back "
                            "to them", column="user_id", value=cycle[0])
    shared = con.execute("select name, list(user_id order by user_id) from raw_ops__org "
                         "group by 1 having count(*) > 1 order by 1").fetchall()
    for name, users in shared:
        warnings.append(f"org: {len(users)} people are named {name!r} ({', '.join(users)});"
                               " CRM records that give an owner only by this name stay "
                               "unassigned")


def _check_targets(con) -> None:
    """One target per rep or team, period and metric: two would leave the right one to a
    guess. (A month's target beside its quarter's is caught by sql/audits/.)"""
    duplicate = row(con, """
        select
            coalesce(targets.user_id, 'team ' || targets.team),
            targets.period,
            targets.metric,
            list(files.file_name order by targets.file_id, targets.record_number),
            list(targets.record_number + 1 order by targets.file_id, targets.record_number)
        from raw_ops__targets as targets
        inner join raw_files as files on files.file_id = targets.file_id
        group by 1, 2, 3
        having count(*) > 1
        order by 1, 2, 3
        limit 1
    """)
    if duplicate:
        holder, period, metric, names, lines = duplicate
        places = ", ".join(f"{name} line {line}"
                           for name, line in zip(names, lines, strict=True))
        holder = holder if holder.startswith("team ") else f"user {holder}"
        raise InputRejected(names[1], f"two targets for {holder}, {period}, {metric} "
                            f"({places})", line=lines[1], column="target")

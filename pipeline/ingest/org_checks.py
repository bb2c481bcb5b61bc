"""The org chart must be a tree; each fault costs only the rows in it.

- a user listed twice (in one org file or two): every row of that user is quarantined,
  naming the other lines (which one is right is never guessed);
- a loop of managers: the rows of the users in the loop are quarantined, naming the chain;
- a manager_id that is no user's (or whose row was quarantined): the row keeps its place
  with no manager, the top of its own subtree, with a warning;
- an email that is not a plain address: the row loads (the person owns deals and sits in
  the tree), listed in raw_warnings so that no email goes to it.

Deals owned by a quarantined user count in the company's report only, as those of any
owner not in the org chart.
"""

from __future__ import annotations

from pipeline.delivery.recipients import ADDRESS
from pipeline.ingest.quarantine import LoadedRows


def check_org(con, loaded: LoadedRows) -> None:
    _quarantine_repeated_users(con, loaded)
    _quarantine_manager_loops(con, loaded)
    _detach_unknown_managers(con, loaded)
    _note_unusable_emails(con, loaded)
    shared = con.execute("select name, list(user_id order by user_id) from raw_ops__org "
                         "group by 1 having count(*) > 1 order by 1").fetchall()
    for name, users in shared:
        loaded.say(f"org: {len(users)} people are named {name!r} ({', '.join(users)}); CRM "
                     "records that give an owner only by this name stay unassigned")


def _quarantine_repeated_users(con, loaded: LoadedRows) -> None:
    found = con.execute("""
        select user_id, list([file_id, record_number] order by file_id, record_number)
        from raw_ops__org
        group by 1
        having count(*) > 1
        order by 1
    """).fetchall()
    where = loaded.lines([tuple(p) for _, places in found for p in places])
    for user_id, places in found:
        places = [tuple(p) for p in places]
        for place in places:
            others = ", ".join(f"{where[p][0]} line {where[p][1]}" for p in places
                               if p != place)
            file = loaded.file(place[0])
            loaded.quarantine(file, [(place[1], loaded.column(file, "user_id"), user_id,
                                      f"user listed more than once: also {others}")])
        file = loaded.file(places[0][0])
        loaded.warn(file, places[0][1], loaded.column(file, "user_id"), user_id,
                    f"user listed {len(places)} times: every row of them quarantined")


def _quarantine_manager_loops(con, loaded: LoadedRows) -> None:
    rows = con.execute("select user_id, manager_id, file_id, record_number "
                       "from raw_ops__org order by file_id, record_number").fetchall()
    managers = {user: manager for user, manager, _, _ in rows}
    loops = {}
    for start in managers:
        path, seen, user = [], {}, start
        while user in managers and user not in seen and user not in loops:
            seen[user] = len(path)
            path.append(user)
            user = managers[user]
        if user in seen:
            loop = path[seen[user]:]
            for member in loop:
                loops[member] = loop
    for user, manager, file_id, number in rows:
        if user not in loops:
            continue
        loop = loops[user]
        turned = loop[loop.index(user):] + loop[:loop.index(user)] + [user]
        file = loaded.file(file_id)
        column = loaded.column(file, "manager_id")
        loaded.quarantine(file, [(number, column, manager, "the chain of managers above "
                                  f"this user leads back to them: {' -> '.join(turned)}")])
        loaded.warn(file, number, column, manager, "a loop of managers "
                    f"({' -> '.join(turned)}): the row is quarantined")


def _detach_unknown_managers(con, loaded: LoadedRows) -> None:
    found = con.execute("""
        select file_id, record_number, manager_id
        from raw_ops__org
        where manager_id not in (select user_id from raw_ops__org)
        order by 1, 2
    """).fetchall()
    for file, rows in loaded.by_file(found):
        column = loaded.column(file, "manager_id")
        reason = ("manager_id is not the user_id of anyone in the org file (or that row is "
                  "quarantined): kept with no manager, the top of their own subtree")
        loaded.note(file, [(number, column, manager, reason) for number, manager in rows])
        con.execute("update raw_ops__org set manager_id = null where file_id = $file_id "
                    "and list_contains($numbers, record_number)",
                    {"file_id": file.file_id, "numbers": [n for n, _ in rows]})
        for number, manager in rows:
            loaded.warn(file, number, column, manager, reason)


def _note_unusable_emails(con, loaded: LoadedRows) -> None:
    found = con.execute(
        "select file_id, record_number, email from raw_ops__org where email is not null "
        "and not regexp_full_match(email, $address) order by 1, 2",
        {"address": ADDRESS.pattern}).fetchall()
    for file, rows in loaded.by_file(found):
        column = loaded.column(file, "email")
        reason = "not a plain email address: the person stays in the org chart, and no " \
                 "email is sent to it"
        loaded.note(file, [(number, column, email, reason) for number, email in rows])
        for number, email in rows:
            loaded.warn(file, number, column, email, reason)

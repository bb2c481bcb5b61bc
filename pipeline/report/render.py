"""Render: the validated marts -> every report, as HTML and PDF, and the email body, for
every edition: a scope (the company, or a manager's whole subtree) in a language.

Every scope gets an edition in the `language` setting, in out/reports/<as-of>/<scope>/; a
recipient who reads another language gets theirs in <scope>/<language>/. The run's reports
are written to a new folder that no reader sees until the run is published
(pipeline/control/publish.py), with the archive pages (out/reports/index.html,
out/reports/archive/) rebuilt for it.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
from jinja2 import Environment
from markupsafe import Markup

from pipeline.config import Config
from pipeline.control import logs, publish
from pipeline.control.failpoints import failpoint
from pipeline.delivery.recipients import (
    RECIPIENTS_FILE,
    REFUSED_FILE,
    Recipient,
    Refusal,
    load_recipient_rules,
    org_lines,
    resolve_recipients,
)
from pipeline.errors import ConfigError, ValidationFailed
from pipeline.report import archive, fonts, workbook
from pipeline.report.contexts import (
    CHAT_FILE,
    CONTEXTS,
    MARTS,
    REPORTS,
    Scope,
    ScopedMarts,
    chat_context,
    email_context,
)
from pipeline.report.i18n import Locale
from pipeline.report.pdf import epoch, png, write_pdf
from pipeline.warehouse.db import frame, read_state, scalar, use_schemas

log = logging.getLogger(__name__)

# told how far the report step is: ("editions" or "PDFs", done, of all)
OnProgress = Callable[[str, int, int], None]



@dataclass(frozen=True)
class Edition:
    """One scope's reports in one language, in `folder` of the run's folder."""

    scope: Scope
    locale: Locale
    folder: str


def render_reports(con: duckdb.DuckDBPyConnection, config: Config,
                   progress: OnProgress | None = None) -> Path:
    """The report step on its own: writes every edition of the date and puts them in the
    release being written (config.release_dir, else the published one); returns
    out/reports/<as-of>/."""
    if config.release_dir is None:
        config = replace(config, release_dir=publish.current_or_new(config.out, "reports"))
    return publish_reports(config, render_staged(con, config, progress))


def render_staged(con: duckdb.DuckDBPyConnection, config: Config,
                  progress: OnProgress | None = None) -> Path:
    """Writes every edition of the run into a new folder of out/.store/ that no link points
    at yet; returns it. Nothing a reader sees changes until it is published. `progress` is
    told each time an edition's pages, then each time a PDF, is written."""
    progress = progress or (lambda what, done, total: None)
    build_id = _checked_build(con, config)
    fonts.font_path()
    users = frame(con, "dim_users")
    recipients, unserved = resolve_recipients(
        load_recipient_rules(config.recipients_file), users, config.language, org_lines(con))
    _warn_unassigned(frame(con, "rpt_unassigned_owners"))
    editions = plan_editions(users, recipients, config)
    meta = {"as_of": config.as_of, "build_id": build_id,
            "attach_spreadsheets": config.attach_spreadsheets,
            "newest_record": scalar(con, "select max(newest_record_at) from "
                                    "rpt_data_freshness where entity = 'deals'")}

    staging = publish.store_folder(config.out, config.as_of.isoformat()).resolve()
    try:
        with workers(config.threads, con) as (pool, shared):
            jobs = [job for found in _map(pool if shared else None, write_edition_job, [
                (staging / edition.folder, edition, meta) for edition in editions],
                lambda done: progress("editions", done, len(editions)))
                for job in found]
            failpoint("report.halfway")
            _map(pool, write_pdf, [(html, target, epoch(config.as_of)) for html, target in jobs],
                 lambda done: progress("PDFs", done, len(jobs)))
        default = Locale(config.language, config.currency)
        (staging / "index.html").write_text(environment(default).get_template(
            "index.html").render(editions=editions, reports=REPORTS, as_of=config.as_of,
                                 title=default.text("report_index")), encoding="utf-8")
        _write_recipients(staging, recipients, unserved, editions)
        archive.write_editions(staging, [
            {"scope_id": e.scope.scope_id, "name": e.scope.name, "folder": e.folder,
             "scope_folder": e.scope.folder, "language": e.locale.language}
            for e in editions])
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("rendered %d editions (%d reports)", len(editions), len(editions) * len(REPORTS))
    return staging


def publish_reports(config: Config, staging: Path) -> Path:
    """Links the rendered folder in as <release>/reports/<as-of>/, in place of any earlier
    one, and rebuilds the archive pages (the report step on its own)."""
    reports = config.release_dir / "reports"
    publish.link(reports / config.as_of.isoformat(), staging)
    write_archive(config, reports)
    publish.remove_leftovers(config.out)
    log.info("published the reports of %s", config.as_of.isoformat())
    return config.reports_dir / config.as_of.isoformat()


def write_archive(config: Config, reports: Path) -> None:
    """out/reports/index.html (the runs page) and archive/<scope>.html, from the dates
    `reports` holds and the run manifests."""
    archive.write_archive(reports, config.runs_dir, REPORTS,
                          Locale(config.language, config.currency))


def _checked_build(con: duckdb.DuckDBPyConnection, config: Config) -> str:
    build_id = read_state(con, "build_id")
    if build_id is None or read_state(con, "validated_build_id") != build_id:
        raise ValidationFailed("the marts of this build have not passed validation; "
                               "run `make validate` (or the whole run) first")
    built_as_of = read_state(con, "as_of_date")
    if built_as_of != config.as_of.isoformat():
        raise ConfigError(f"the warehouse was built as of {built_as_of}, not "
                          f"{config.as_of.isoformat()}; build it again for this date")
    return build_id


def _warn_unassigned(owners: pd.DataFrame) -> None:
    if len(owners):
        log.warning("%d owners of CRM records are not in org.csv; their records count only "
                    "in the company's reports: %s", len(owners),
                    ", ".join(str(n) for n in owners["owner_name"].head(10)))


def plan_editions(users: pd.DataFrame, recipients: list[Recipient],
                  config: Config) -> list[Edition]:
    """Every scope in the default language, and in each language a recipient of it (a person,
    or a chat target of the settings) reads."""
    languages: dict[str, set[str]] = {}
    for recipient in recipients:
        languages.setdefault(recipient.scope_id, set()).add(recipient.language)
    for target in config.chat:
        languages.setdefault(str(target["scope"]), set()).add(
            target.get("language") or config.language)
    managers = users[users["is_manager"]].sort_values(["management_level", "name", "user_id"])
    scopes = [("company", None), *((row.user_id, row.name) for row in managers.itertuples())]
    editions = []
    for scope_id, name in scopes:
        folder = "company" if scope_id == "company" else scope_folder(scope_id)
        others = sorted(languages.get(scope_id, set()) - {config.language})
        for language in [config.language, *others]:
            locale = Locale(language, config.currency)
            title = (locale.text("scope_company") if name is None
                     else locale.text("scope_team_of", name=name))
            editions.append(Edition(Scope(scope_id, title, folder), locale,
                                    folder if language == config.language
                                    else f"{folder}/{language}"))
    return editions


def scope_folder(user_id: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", user_id)
    return name if name not in ("", ".", "..", "company", "archive") else f"user_{name}"


# --- work shared out to processes: each reads its scope's rows from the warehouse file -----

# the warehouse as this process reads it: a worker's own read-only connection, or a cursor
# of the connection the report step was given
_WAREHOUSE: list[duckdb.DuckDBPyConnection] = []
# DuckDB's memory in each worker: a cache of the blocks it read, and the sort of the longest
# list (a CSV beside a report), which spills beyond it
WORKER_MEMORY = "256MB"


def _start_worker(warehouse: str | None, log_settings: dict | None) -> None:
    if log_settings is not None:
        logs.setup_logging(**log_settings)
    if warehouse is not None:
        con = duckdb.connect(warehouse, read_only=True)
        use_schemas(con, create=False)
        con.execute("set threads = 1")
        con.execute("set memory_limit = $limit", {"limit": WORKER_MEMORY})
        _WAREHOUSE[:] = [con]
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()


def _exit_with(parent: int) -> None:
    """A worker whose run was killed (by a signal, the OOM killer) ends too, instead of
    waiting for work forever."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def shared_file(con: duckdb.DuckDBPyConnection) -> str | None:
    """The warehouse file behind `con` if other processes may open it too (it is open
    read-only here); None for a database in memory or one open for writing."""
    [(path, read_only)] = con.execute("select path, readonly from duckdb_databases() "
                                      "where database_name = current_database()").fetchall()
    return path if path and read_only else None


@contextmanager
def workers(count: int, con: duckdb.DuckDBPyConnection):
    """A pool of `count` processes, or None to work in this one; and whether they read the
    warehouse (each on a read-only connection of its own), else they only print PDFs and
    the editions are written here."""
    warehouse = shared_file(con)
    _WAREHOUSE[:] = [con.cursor()]
    try:
        if count <= 1:
            yield None, False
            return
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=count, mp_context=context,
                                 initializer=_start_worker,
                                 initargs=(warehouse, logs.settings())) as pool:
            yield pool, warehouse is not None
    finally:
        _WAREHOUSE.pop().close()


def _map(pool: Executor | None, function, tasks: list[tuple],
         done: Callable[[int], None] = lambda count: None) -> list:
    """function(*task) for each task, in order; done(count) after each result."""
    if pool is None or len(tasks) <= 1:
        results = (function(*task) for task in tasks)
    else:
        results = pool.map(function, *zip(*tasks, strict=True))
    found = []
    for result in results:
        found.append(result)
        done(len(found))
    return found


def write_edition_job(folder: Path, edition: Edition, meta: dict) -> list[tuple[str, Path]]:
    return write_edition(folder, edition, edition_marts(edition), meta)


def edition_marts(edition: Edition) -> ScopedMarts:
    """The marts as the edition's scope sees them, read from this process's warehouse."""
    return ScopedMarts(_WAREHOUSE[0], edition.scope.scope_id, MARTS)


def write_edition(folder: Path, edition: Edition, marts: ScopedMarts,
                  meta: dict) -> list[tuple[str, Path]]:
    """An edition's HTML reports, charts, extra files and email; returns its PDF jobs."""
    env = environment(edition.locale)
    contexts, jobs = {}, []
    for report in REPORTS:
        contexts[report], html = write_report(folder, edition, report, env, marts, meta)
        jobs.append((html, folder / f"{report}.pdf"))
    email = email_context(contexts, marts, edition.scope, edition.locale)
    write_email(folder, edition, env, email, contexts, meta)
    (folder / CHAT_FILE).write_text(json.dumps(
        chat_context(email, marts, edition.scope, edition.locale, meta, REPORTS),
        ensure_ascii=False, indent=2), encoding="utf-8")
    return jobs


def write_report(folder: Path, edition: Edition, report: str, env: Environment,
                 marts: ScopedMarts, meta: dict) -> tuple[dict, str]:
    """One report's HTML, charts and extra files; returns its context and its HTML."""
    (folder / "charts").mkdir(parents=True, exist_ok=True)
    context = CONTEXTS[report](marts, edition.scope, edition.locale)
    for chart in context["charts"].values():
        (folder / chart.file).write_text(chart.svg, encoding="utf-8")
    for name, text in context.get("files", {}).items():
        # a long file comes as its text in pieces, written as they come
        with (folder / name).open("w", encoding="utf-8-sig") as out:
            out.writelines([text] if isinstance(text, str) else text)
    title = edition.locale.text(f"report_{report}")
    with workbook.marking() as marks:
        marked = env.get_template(f"{report}.html").render(
            context, report=report, scope=edition.scope, title=title, **meta)
    html = workbook.unmarked(marked, marks)
    (folder / f"{report}.html").write_text(html, encoding="utf-8")
    (folder / f"{report}.xlsx").write_bytes(workbook.workbook(
        workbook.sheets(marked, marks, title), edition.locale,
        title=f"{title} · {edition.scope.name}",
        created=datetime.combine(meta["as_of"], datetime.min.time()),
        empty=edition.locale.text("no_data")))
    return context, html


def write_email(folder: Path, edition: Edition, env: Environment, context: dict,
                contexts: dict, meta: dict) -> None:
    """email.html (inline CSS, images by Content-ID), email.txt, and email.json, which
    says what the delivery step attaches."""
    locale = edition.locale
    subject = locale.text("email_subject", scope=edition.scope.name,
                          date=locale.date(meta["as_of"]))
    attachments = [f"{report}.pdf" for report in REPORTS]
    if meta["attach_spreadsheets"]:
        attachments += [f"{report}.xlsx" for report in REPORTS]
    attachments += [name for c in contexts.values() for name in c.get("files", {})]
    values = {**context, **meta, "scope": edition.scope, "subject": subject,
              "attachments": attachments, "reports": REPORTS}
    for image in context["images"]:
        (folder / image.file).write_bytes(png(folder / image.source))
    (folder / "email.html").write_text(env.get_template("email.html").render(values),
                                       encoding="utf-8")
    (folder / "email.txt").write_text(env.get_template("email.txt").render(values),
                                      encoding="utf-8")
    (folder / "email.json").write_text(json.dumps({
        "subject": subject, "language": locale.language, "scope_id": edition.scope.scope_id,
        "html": "email.html", "text": "email.txt",
        "inline": [{"file": i.file, "cid": i.cid} for i in context["images"]],
        "attachments": attachments,
    }, ensure_ascii=False, indent=2), encoding="utf-8")


def _write_recipients(folder: Path, recipients: list[Recipient], refused: list[Refusal],
                      editions: list[Edition]) -> None:
    folders = {(e.scope.scope_id, e.locale.language): e.folder for e in editions}
    (folder / RECIPIENTS_FILE).write_text(json.dumps(
        [asdict(r) | {"folder": folders[(r.scope_id, r.language)]} for r in recipients],
        ensure_ascii=False, indent=2), encoding="utf-8")
    (folder / REFUSED_FILE).write_text(json.dumps(
        [asdict(r) for r in refused], ensure_ascii=False, indent=2), encoding="utf-8")


@cache
def environment(locale: Locale) -> Environment:
    """The templates in `locale`, compiled once per process and language."""
    env = archive.template_environment(locale)
    env.globals["page_counter"] = Markup(_css_counter(locale.text("page_of")))
    env.filters |= workbook.typed_filters(locale)
    return env


def _css_counter(label: str) -> str:
    """'Page {page} of {pages}' -> a CSS content value with page counters."""
    parts = re.split(r"(\{page\}|\{pages\})", label)
    out = []
    for part in parts:
        if part == "{page}":
            out.append("counter(page)")
        elif part == "{pages}":
            out.append("counter(pages)")
        elif part:
            out.append('"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " ".join(out)

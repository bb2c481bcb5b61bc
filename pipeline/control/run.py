"""A run: the steps in order, one run at a time, with a manifest; the whole pipeline is
write-audit-publish.

The whole pipeline (ingest -> build -> validate -> snapshot -> report) writes a new release
(out/.releases/<run id>/: warehouse, validation results, history records, reports) that no
reader sees; only when every step has passed is it published, all at once, by one rename
(pipeline/control/publish.py). A run that fails or is killed at any point leaves the published
warehouse, reports and history as they were. Then, and only then, the run's email goes out
(deliver). A single step (`make marts`, ...) works on the published release in place, for
analysts.

Each step's module is imported when the step runs, so `ingest` alone never pays for
matplotlib and WeasyPrint.
"""

from __future__ import annotations

import importlib
import logging
import os
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from pipeline.config import Config, SettingsError, smtp_settings
from pipeline.control import publish
from pipeline.control.lock import run_lock
from pipeline.control.logs import collect_warnings, progress
from pipeline.control.manifest import Manifest
from pipeline.control.summary import log_summary
from pipeline.errors import ConfigError, PipelineError, PublishedWithProblems
from pipeline.warehouse.db import connect, creating_in, drop_misplaced

log = logging.getLogger(__name__)

STEPS = {
    "ingest": "pipeline.ingest.inbox:load_exports",
    "build": "pipeline.warehouse.build:build_models",
    "validate": "pipeline.warehouse.validate:validate_marts",
    "snapshot": "pipeline.warehouse.history:record_snapshot",
    "report": "pipeline.report.render:render_reports",
}
PIPELINE = tuple(STEPS)
# mail: send over SMTP, write .eml files to out/outbox/ (dry-run), or none at all (off)
SEND, DRY_RUN, OFF = "send", "dry-run", "off"


def step_function(step: str):
    module, name = STEPS[step].split(":")
    return getattr(importlib.import_module(module), name)


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}"


def run(config: Config, steps: tuple[str, ...] = PIPELINE, *, mail: str = OFF,
        run_id: str | None = None, select: list[str] | None = None) -> str:
    """Runs the steps (the whole pipeline by default); returns the run id. Any failure
    stops the rest and is raised after the manifest records it. `select` makes the build
    step rebuild only the models it names (build --select)."""
    run_id = run_id or new_run_id()
    whole = tuple(steps) == PIPELINE
    command = "run" if whole else " ".join(steps)
    _can_send(config, run_id, command, mail)
    with run_lock(config.out, run_id):
        _guarded(config, run_id, command, mail,
                 lambda m: _whole(config, m, run_id, mail) if whole
                 else _in_place(config, steps, m, select))
    return run_id


def deliver(config: Config, *, mail: str = SEND, run_id: str | None = None) -> str:
    """The email of an already published run: whatever the delivery log does not have as
    sent (or possibly delivered)."""
    from pipeline.delivery.deliver import deliver_reports

    run_id = run_id or new_run_id()
    _can_send(config, run_id, "deliver", mail)
    with run_lock(config.out, run_id):
        _guarded(config, run_id, "deliver", mail, lambda m: _timed(
            m, "deliver", lambda: deliver_reports(config, run_id, dry_run=mail == DRY_RUN)))
    return run_id


def resend(config: Config, recipient: str, report: str | None = None, *,
           run_id: str | None = None) -> str:
    from pipeline.delivery.deliver import resend as resend_messages

    run_id = run_id or new_run_id()
    with run_lock(config.out, run_id):
        _guarded(config, run_id, "resend", SEND, lambda m: _timed(
            m, "deliver", lambda: resend_messages(config, run_id, recipient, report)),
            notify=False)
    return run_id


def backfill(config: Config, first: date, last: date, *, mail: str = OFF) -> None:
    """The whole pipeline for each date from first to last, in order; stops at a failure.
    A date reads the inbox's <date>/ subfolder when there is one (that night's exports)."""
    day = first
    while day <= last:
        nightly = config.inbox / day.isoformat()
        inbox = nightly if nightly.is_dir() else config.inbox
        log.info("backfill: %s from %s", day.isoformat(), inbox)
        run(replace(config, as_of=day, inbox=inbox), mail=mail)
        day += timedelta(days=1)


def refused(error: PipelineError, command: str, mail: str, run_id: str) -> None:
    """A command whose settings were refused before it began (load_config's SettingsError):
    its run record, and the summary to ops, as for any failed run. The settings that held
    say where (the out folder, the ops addresses); any other error is on record already."""
    if isinstance(error, SettingsError):
        mail = OFF if command in STEPS else mail  # a single step sends nothing
        _record_refusal(error.settings, run_id, command, mail, error,
                        notify=command != "resend")


def _can_send(config: Config, run_id: str, command: str, mail: str) -> None:
    """A run that is to send email without the mail server's settings stops before any work,
    on record as a failed run (ops cannot be told: there is no server to tell them by)."""
    if mail != SEND:
        return
    try:
        smtp_settings()
    except ConfigError as error:
        _record_refusal(config, run_id, command, mail, error, notify=False)
        raise


def _record_refusal(config: Config, run_id: str, command: str, mail: str,
                    error: PipelineError, *, notify: bool) -> None:
    """Never raises: the run has already failed, and its log says why."""
    try:
        Manifest(config, run_id, command, mail).finish(error.exit_code, str(error))
    except OSError as problem:
        log.error("could not write the run's record in %s: %s", config.runs_dir, problem)
    if notify and mail != OFF:
        from pipeline.delivery.deliver import notify_ops

        notify_ops(config, run_id, error.exit_code, str(error), dry_run=mail == DRY_RUN)


def _guarded(config: Config, run_id: str, command: str, mail: str, body, *,
             notify: bool = True) -> None:
    manifest = Manifest(config, run_id, command, mail)
    log.info("run %s: %s as of %s", run_id, command, config.as_of.isoformat(),
             extra={"event": "run_started"})
    with collect_warnings() as warnings:
        try:
            body(manifest)
        except BaseException as error:
            _failed(config, manifest, error, warnings, mail, notify)
            raise
    manifest.record_outputs()
    manifest.record_warnings(warnings)
    manifest.finish(0)
    _refresh_runs_page(config)
    log.info("run %s finished", run_id, extra={"event": "run_finished", "exit_code": 0})
    log_summary(manifest.data, manifest.path)


def _failed(config: Config, manifest: Manifest, error: BaseException, warnings: list[str],
            mail: str, notify: bool) -> None:
    """A run that ends in an error: on record, on the runs page, told to ops, summarised."""
    code = error.exit_code if isinstance(error, PipelineError) else 1
    manifest.record_outputs()
    manifest.record_warnings(warnings)
    manifest.finish(code, str(error) or type(error).__name__)
    _refresh_runs_page(config)
    if notify and mail != OFF and isinstance(error, Exception) \
            and not isinstance(error, PublishedWithProblems):
        from pipeline.delivery.deliver import notify_ops

        notify_ops(config, manifest.data["run_id"], code, str(error), dry_run=mail == DRY_RUN)
    log_summary(manifest.data, manifest.path)
    error.summarized = True


def _refresh_runs_page(config: Config) -> None:
    """The runs page (out/reports/index.html) shows this run as it ended, whatever it
    published; the page is a view of the run log, so a fault in it leaves the run's outcome."""
    from pipeline.report.archive import refresh_runs_page
    from pipeline.report.i18n import Locale

    try:
        refresh_runs_page(config.out, config.runs_dir, Locale(config.language, config.currency))
    except Exception as error:
        log.warning("the runs page was not rewritten: %s", error)


def _whole(config: Config, manifest: Manifest, run_id: str, mail: str) -> None:
    from pipeline.report.render import render_staged, write_archive

    release = publish.new_release(config.out, run_id)
    validation = config.runs_dir / f"{run_id}.validation"
    staged = replace(config, release_dir=release, validation_folder=validation)
    steps = (*PIPELINE, "publish", *(("deliver",) if mail != OFF else ()))
    with progress(steps) as bar:
        try:
            with connect(staged) as con:
                for step in PIPELINE[:-1]:
                    _timed(manifest, step, lambda s=step: _step(s, con, staged, manifest))
                    bar.done(step)
                con.execute("checkpoint")
            # read-only, so that the report's worker processes can open the warehouse too
            with connect(staged, read_only=True) as con:
                reports = _timed(manifest, "report",
                                 lambda: render_staged(con, staged, progress=bar.report))
                bar.done("report")

            def publish_release() -> None:
                os.replace(validation, release / "validation")
                publish.publish(config.out, release, config.as_of.isoformat(), reports,
                                lambda folder: write_archive(config, folder))

            _timed(manifest, "publish", publish_release)
            bar.done("publish")
        except BaseException:
            publish.remove_leftovers(config.out)
            raise
        problems = manifest.record_problems(mailing=mail != OFF)
        if mail != OFF:
            from pipeline.delivery.deliver import deliver_reports

            _timed(manifest, "deliver",
                   lambda: deliver_reports(config, run_id, dry_run=mail == DRY_RUN))
            bar.done("deliver")
    if problems:
        if mail != OFF:
            from pipeline.delivery.deliver import notify_problems

            notify_problems(config, run_id, problems, dry_run=mail == DRY_RUN)
        raise PublishedWithProblems(f"published with {len(problems)} problems: "
                                    + "; ".join(problems[:3]))


def _in_place(config: Config, steps: tuple[str, ...], manifest: Manifest,
              select: list[str] | None = None) -> None:
    staged = replace(config, release_dir=publish.current_or_new(config.out,
                                                                manifest.data["run_id"]))
    with progress(steps) as bar:
        for step in steps:
            # the report step reads the warehouse read-only, as its worker processes do
            read_only = step == "report" and staged.warehouse.exists()
            with connect(staged, read_only=read_only) as con:
                _timed(manifest, step,
                       lambda s=step: _step(s, con, staged, manifest, bar, select))
            bar.done(step)


def _step(step: str, con, config: Config, manifest: Manifest, bar=None, select=None):
    """One step on the warehouse; what the ingest read and skipped goes into the manifest
    whether it ends well or not."""
    if step == "report" and bar is not None:
        return step_function(step)(con, config, progress=bar.report)
    if step == "build" and select is not None:
        return step_function(step)(con, config, select=select)
    if step != "ingest":
        return step_function(step)(con, config)
    from pipeline.ingest.inbox import IngestResult, load_exports

    result = IngestResult()
    try:
        with creating_in(con, "raw"):
            loaded = load_exports(con, config, result)
        drop_misplaced(con)
        return loaded
    finally:
        manifest.record_ingest(result, con)


def _timed(manifest: Manifest, step: str, action):
    log.info("%s started", step, extra={"step": step, "event": "step_started"})
    with manifest.step(step):
        result = action()
    seconds = manifest.data["steps"][step]
    log.info("%s done in %.1f s", step, seconds,
             extra={"step": step, "event": "step_finished", "seconds": seconds})
    return result

"""The archive: out/reports/index.html, the runs page, and out/reports/archive/<scope>.html,
every published report of one scope, newest first.

The runs page is the run log's view, not a report: every run on record in out/runs/ (how it
ended, how long it took, its warnings), newest first, beside the teams and the dates whose
reports are published. It is rebuilt from the run manifests whenever a release is published
and again when any run ends, however it ends, in the published release, by a rename: a run
that publishes nothing changes no report, only this page."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pipeline.control import publish
from pipeline.errors import DeliveryFailed, PublishedWithProblems
from pipeline.ingest.files import replace_text
from pipeline.paths import TEMPLATES_DIR
from pipeline.report.i18n import EMPTY, Locale

EDITIONS_FILE = "editions.json"
RUNS_PAGE = "index.html"
RUN_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# the newest runs the page lists; every one stays in out/runs/
RUNS_SHOWN = 500
ERROR_SHOWN = 300
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}


def write_editions(run_folder: Path, editions: list[dict]) -> None:
    (run_folder / EDITIONS_FILE).write_text(json.dumps(editions, ensure_ascii=False, indent=2),
                                            encoding="utf-8")


def runs(reports_dir: Path) -> list[tuple[str, list[dict]]]:
    """(date, editions) of every published date, newest first."""
    found = []
    for folder in sorted(reports_dir.glob("*"), reverse=True):
        editions = folder / EDITIONS_FILE
        if RUN_FOLDER.match(folder.name) and editions.is_file():
            found.append((folder.name, json.loads(editions.read_text(encoding="utf-8"))))
    return found


def write_archive(reports_dir: Path, runs_dir: Path, reports: tuple[str, ...],
                  locale: Locale) -> None:
    """The runs page and every scope's archive page, in the release's `reports_dir`."""
    published = runs(reports_dir)
    scopes = _scopes(published)
    write_runs_page(reports_dir, runs_dir, locale, published)
    env = environment(locale)
    title = locale.text("archive_title")
    for folder, edition in scopes.items():
        mine = [(day, [e for e in editions if e["scope_folder"] == folder])
                for day, editions in published]
        replace_text(reports_dir / "archive" / f"{folder}.html", env.get_template(
            "archive.html").render(title=f"{title} · {edition['name']}",
                                   runs=[(d, e) for d, e in mine if e], reports=reports))


def write_runs_page(reports_dir: Path, runs_dir: Path, locale: Locale,
                    published: list[tuple[str, list[dict]]] | None = None) -> None:
    published = runs(reports_dir) if published is None else published
    log = run_log(runs_dir, {day for day, _ in published})
    replace_text(reports_dir / RUNS_PAGE, environment(locale).get_template("runs.html").render(
        title=locale.text("archive_title"), scopes=list(_scopes(published).values()),
        days=[day for day, _ in published], runs=log[:RUNS_SHOWN],
        older=max(0, len(log) - RUNS_SHOWN), runs_dir=str(runs_dir)))


def refresh_runs_page(out: Path, runs_dir: Path, locale: Locale) -> bool:
    """The published release's runs page rebuilt (after a run ends); False when nothing is
    published yet, so there is no page to show it on."""
    release = publish.current(out)
    if release is None or not (release / "reports").is_dir():
        return False
    write_runs_page(release / "reports", runs_dir, locale)
    return True


def run_log(runs_dir: Path, published_days: set[str]) -> list[dict]:
    """Every run on record, newest first, as the runs page lists it."""
    found = []
    for path in sorted(runs_dir.glob("*.json"), reverse=True):
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            found.append({"run_id": path.stem, "status": "unreadable", "started": "",
                          "as_of": None, "command": "", "exit_code": None, "seconds": None,
                          "warnings": None, "problems": 0, "error": None, "linked": False})
            continue
        found.append(run_entry(manifest, published_days))
    return sorted(found, key=lambda r: (r["started"], r["run_id"]), reverse=True)


def run_entry(manifest: dict, published_days: set[str]) -> dict:
    started, finished = manifest.get("started_at"), manifest.get("finished_at")
    seconds = None
    if started and finished:
        seconds = int((datetime.fromisoformat(finished)
                       - datetime.fromisoformat(started)).total_seconds())
    error = manifest.get("error") or ""
    return {
        "run_id": manifest.get("run_id", ""), "command": manifest.get("command", ""),
        "as_of": manifest.get("as_of"), "linked": manifest.get("as_of") in published_days,
        "started": (started or "").replace("T", " ")[:16],
        "status": run_status(manifest), "exit_code": manifest.get("exit_code"),
        "seconds": seconds, "warnings": len(manifest.get("warnings") or []),
        "problems": len(manifest.get("problems") or []),
        "error": error[:ERROR_SHOWN] + ("…" if len(error) > ERROR_SHOWN else ""),
    }


def run_status(manifest: dict) -> str:
    """How a run ended: published (a run that wrote reports), succeeded (a step, a
    delivery), published with problems, partial delivery, failed; running, for the run
    writing the page, and unfinished, for one killed before it could say how it ended."""
    code = manifest.get("exit_code")
    if code is None:
        return "running" if manifest.get("pid") == os.getpid() else "unfinished"
    if code == 0:
        return "published" if manifest.get("command") in ("run", "report") else "succeeded"
    if code == PublishedWithProblems.exit_code:
        return "published_with_problems"
    if code == DeliveryFailed.exit_code:
        return "partial_delivery"
    return "failed"


def _scopes(published: list[tuple[str, list[dict]]]) -> dict[str, dict]:
    scopes: dict[str, dict] = {}
    for _, editions in published:
        for edition in editions:
            scopes.setdefault(edition["scope_folder"], edition)
    return scopes


def template_environment(locale: Locale) -> Environment:
    """The project's templates, autoescaped, with the labels of `locale`: what the reports'
    and the archive's environments share."""
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR),
                      autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.globals |= {"t": locale.text, "language": locale.language,
                    "html_lang": HTML_LANG[locale.language]}
    return env


@cache
def environment(locale: Locale) -> Environment:
    """The archive's templates in `locale`: labels and durations, no report filters."""
    env = template_environment(locale)
    env.filters |= {"number": locale.number, "duration": lambda s: duration(s, locale)}
    return env


def duration(seconds: int | None, locale: Locale) -> str:
    if seconds is None:
        return EMPTY
    minutes, rest = divmod(int(seconds), 60)
    if minutes:
        return locale.text("duration_minutes", minutes=minutes, seconds=f"{rest:02d}")
    return locale.text("duration_seconds", seconds=rest)

"""The archive of past runs: out/reports/index.html lists every run, and
out/reports/archive/<scope>.html every run of one scope, newest first. Both are rebuilt from
the run folders after each publish, so they never disagree with what is on disk."""

from __future__ import annotations

import json
import re
from pathlib import Path

from jinja2 import Environment

from pipeline.ingest.files import replace_text
from pipeline.report.i18n import Locale

EDITIONS_FILE = "editions.json"
RUN_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def write_editions(run_folder: Path, editions: list[dict]) -> None:
    (run_folder / EDITIONS_FILE).write_text(json.dumps(editions, ensure_ascii=False, indent=2),
                                            encoding="utf-8")


def runs(reports_dir: Path) -> list[tuple[str, list[dict]]]:
    """(date, editions) of every published run, newest first."""
    found = []
    for folder in sorted(reports_dir.glob("*"), reverse=True):
        editions = folder / EDITIONS_FILE
        if RUN_FOLDER.match(folder.name) and editions.is_file():
            found.append((folder.name, json.loads(editions.read_text(encoding="utf-8"))))
    return found


def write_archive(reports_dir: Path, reports: tuple[str, ...], locale: Locale,
                  env: Environment) -> None:
    published = runs(reports_dir)
    scopes: dict[str, dict] = {}
    for _, editions in published:
        for edition in editions:
            scopes.setdefault(edition["scope_folder"], edition)
    title = locale.text("archive_title")
    replace_text(reports_dir / "index.html", env.get_template("archive.html").render(
        title=title, runs=published, scopes=list(scopes.values()), reports=reports, base=""))
    for folder, edition in scopes.items():
        mine = [(day, [e for e in editions if e["scope_folder"] == folder])
                for day, editions in published]
        replace_text(reports_dir / "archive" / f"{folder}.html", env.get_template(
            "archive.html").render(title=f"{title} · {edition['name']}",
                                   runs=[(d, e) for d, e in mine if e], scopes=[],
                                   reports=reports, base="../"))

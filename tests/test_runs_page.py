"""The runs page (out/reports/index.html): every run on record, however it ended, with its
status, exit code, duration and warnings; a failed run shows there and changes no published
report. Both languages."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.control.run import run
from pipeline.errors import InputRejected
from pipeline.paths import SAMPLE_DIR
from pipeline.report.archive import RUNS_PAGE, refresh_runs_page
from pipeline.report.i18n import Locale

DEALS = "Deals_2026_11_20.csv"


class _Rows(HTMLParser):
    """The runs table's rows: {id, class, cells}."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and (attrs.get("id") or "").startswith("run-"):
            self.rows.append({"id": attrs["id"][4:], "class": attrs["class"], "cells": []})
        elif tag == "td" and self.rows:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[-1]["cells"].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def page_rows(out: Path) -> dict[str, list[str]]:
    parser = _Rows()
    parser.feed((out / "reports" / RUNS_PAGE).read_text(encoding="utf-8"))
    return {row["id"]: row["cells"] for row in parser.rows}


def published(out: Path) -> dict[str, str]:
    """Every published file (links followed) but the runs page, by path and SHA-256."""
    found = {}
    for name in ("reports", "history", "validation", "warehouse.duckdb"):
        root = out / name
        paths = [root] if root.is_file() else [
            Path(folder) / file for folder, _, files in os.walk(root, followlinks=True)
            for file in files]
        for path in paths:
            key = str(path.relative_to(out))
            if key != f"reports/{RUNS_PAGE}":
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture(scope="module")
def after_a_failed_run(sample_run, tmp_path_factory):
    """A copy of the sample's published run, then a run of a broken inbox: one deals export,
    its deals won in a stage the mapping does not know, is refused, and with no deals left
    the run stops (exit 3) with the refusal as its warning."""
    folder = tmp_path_factory.mktemp("runs_page")
    out = folder / "out"
    shutil.copytree(sample_run.out, out, symlinks=True)
    inbox = folder / "inbox"
    shutil.copytree(SAMPLE_DIR, inbox)
    (inbox / "Deals_2026_11_13.csv").unlink()
    deals = (inbox / DEALS).read_text(encoding="utf-8-sig")
    (inbox / DEALS).write_text(deals.replace('"Closed Won"', '"Won (verbal)"'),
                               encoding="utf-8-sig")
    before = published(out)
    config = replace(sample_run, out=out, inbox=inbox)
    with pytest.raises(InputRejected):
        run(config)
    manifests = {p.stem: json.loads(p.read_text(encoding="utf-8"))
                 for p in (out / "runs").glob("*.json")}
    return config, before, manifests


def test_a_failed_run_is_listed_beside_the_published_one(after_a_failed_run):
    config, _, manifests = after_a_failed_run
    failed = next(m for m in manifests.values() if m["status"] == "failed")
    good = next(m for m in manifests.values() if m["status"] == "succeeded")
    assert failed["exit_code"] == 3 and failed["warnings"]
    rows = page_rows(config.out)
    assert list(rows) == [failed["run_id"], good["run_id"]]  # newest first
    # started, as of, command, status, exit code, duration, warnings, problems, error
    started, as_of, command, status, code, duration, warnings, _, error = \
        rows[failed["run_id"]]
    assert (as_of, command, status, code) == ("2026-11-20", "run", "失败", "3")
    assert started == failed["started_at"].replace("T", " ")[:16]
    assert duration.endswith(" 秒")
    assert warnings == str(len(failed["warnings"]))
    assert "no deals export" in error
    _, _, _, status, code, duration, warnings, _, error = rows[good["run_id"]]
    assert (status, code, error) == ("已发布", "0", "")
    assert duration.endswith(" 秒") and warnings == str(len(good["warnings"]))
    page = (config.out / "reports" / RUNS_PAGE).read_text(encoding="utf-8")
    assert 'href="2026-11-20/index.html"' in page  # the published date, linked


def test_a_failed_run_leaves_every_published_file_as_it_was(after_a_failed_run):
    config, before, _ = after_a_failed_run
    assert len(before) > 100
    assert published(config.out) == before


def test_the_runs_page_in_english_and_a_killed_run(after_a_failed_run, tmp_path):
    config, before, manifests = after_a_failed_run
    out = tmp_path / "out"
    shutil.copytree(config.out, out, symlinks=True)
    failed = next(m for m in manifests.values() if m["status"] == "failed")
    # a run killed part way: its record still says running, and no process has its id
    killed = failed | {"run_id": "29990101T000000Z-1", "started_at": "2999-01-01T00:00:00+00:00",
                       "status": "running", "exit_code": None, "finished_at": None,
                       "error": None, "pid": -1}
    (out / "runs" / "29990101T000000Z-1.json").write_text(json.dumps(killed), "utf-8")
    assert refresh_runs_page(out, out / "runs", Locale("en", "CNY"))
    rows = page_rows(out)
    assert rows[killed["run_id"]][3:6] == ["Did not finish (killed)", "—", "—"]
    assert rows[failed["run_id"]][3:5] == ["Failed", "3"]
    assert next(iter(rows)) == killed["run_id"]
    assert published(out) == before


def test_before_anything_is_published_there_is_no_page_to_write(tmp_path):
    assert not refresh_runs_page(tmp_path / "out", tmp_path / "out" / "runs",
                                 Locale("en", "CNY"))
    assert not (tmp_path / "out" / "reports").exists()

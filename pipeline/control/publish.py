"""Publish: what a run makes (the warehouse, its validation results, the reports and the
history records) becomes visible all at once, by one rename, or not at all.

    out/warehouse.duckdb -> current/warehouse.duckdb    links made once, never changed
    out/validation       -> current/validation
    out/reports          -> current/reports
    out/history          -> current/history
    out/current          -> .releases/<name>            the one link a publish replaces
    out/.releases/<name>/   warehouse.duckdb, validation/, reports/ (the index and archive
                            pages, a link per date), history/<kind>/ (a link per date)
    out/.store/             report folders and history records: written once, never changed

A run builds its release beside the current one, then renames a new `current` link over the
old one (rename(2) is atomic): a reader, or the next run, sees the old release or the new
one, never a mix. A run killed before that leaves only files no link points at, which the
next publish removes. The caller holds the run lock.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from pipeline.control.failpoints import failpoint

log = logging.getLogger(__name__)

CURRENT = "current"
RELEASES = ".releases"
STORE = ".store"
# out/<name> -> current/<name>
FIXED = ("warehouse.duckdb", "validation", "reports", "history")
FOLDERS = ("validation", "reports", "history")


def current(out: Path) -> Path | None:
    """The published release, or None before the first publish."""
    link_ = out / CURRENT
    return (out / os.readlink(link_)).resolve() if link_.is_symlink() else None


def new_release(out: Path, name: str) -> Path:
    """An empty release, invisible until `switch`; what killed runs left is removed first."""
    adopt_legacy(out)
    remove_leftovers(out)
    release = out / RELEASES / name
    shutil.rmtree(release, ignore_errors=True)
    for folder in FOLDERS:
        (release / folder).mkdir(parents=True)
    return release


def current_or_new(out: Path, name: str) -> Path:
    """The published release, for a step that works in place; an empty one is published
    first when there is none."""
    adopt_legacy(out)
    found = current(out)
    if found is None:
        found = new_release(out, name)
        switch(out, found)
    return found


def store_folder(out: Path, as_of: str) -> Path:
    """A new folder in the store for a date's reports, for the caller to fill and link."""
    folder = out / STORE / "reports" / f"{as_of}.{uuid.uuid4().hex[:12]}"
    folder.mkdir(parents=True)
    return folder


def publish(out: Path, release: Path, as_of: str, reports: Path,
            write_archive: Callable[[Path], None]) -> None:
    """Completes `release` with every date the current release has, this date's own reports
    and history records taking the place of earlier ones, and makes it current."""
    previous = current(out)
    if previous is not None:
        _carry(out, previous / "reports", release / "reports", skip=as_of)
        for kind in sorted(p for p in (previous / "history").glob("*") if p.is_dir()):
            _carry(out, kind, release / "history" / kind.name, skip=f"{as_of}.parquet")
    link(release / "reports" / as_of, reports)
    for record in sorted((release / "history").glob("*/*.parquet")):
        if not record.is_symlink():
            keep(out, record)
    write_archive(release / "reports")
    failpoint("publish.before_switch")
    switch(out, release)


def keep(out: Path, record: Path) -> None:
    """A history record written inside a release moves to the store, and a link to it takes
    its place (the same bytes: a reader sees no change)."""
    stored = out / STORE / "history" / record.parent.name / \
        f"{record.stem}.{uuid.uuid4().hex[:12]}{record.suffix}"
    stored.parent.mkdir(parents=True, exist_ok=True)
    os.link(record, stored)
    link(record, stored)


def switch(out: Path, release: Path) -> None:
    """The one step that makes a release visible: a new link renamed over `current`."""
    for name in FIXED:
        if not (out / name).is_symlink():
            _symlink(out / name, f"{CURRENT}/{name}")
    link(out / CURRENT, release)
    _sync(out)
    failpoint("publish.after_switch")
    remove_leftovers(out)
    log.info("published release %s", release.name)


def link(path: Path, target: Path) -> None:
    """Makes `path` a relative link to where `target` really is, in one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _symlink(path, os.path.relpath(target.resolve(), path.parent.resolve()))


def remove_leftovers(out: Path) -> None:
    """Releases that are not current, and stored files that no link of the current release
    points at: what killed runs and earlier publishes left behind."""
    now = current(out)
    for release in sorted((out / RELEASES).glob("*")):
        if release.resolve() != now:
            shutil.rmtree(release, ignore_errors=True)
    used = set() if now is None else {
        p.resolve() for p in [*(now / "reports").glob("*"), *(now / "history").glob("*/*")]
        if p.is_symlink()}
    for stored in [*(out / STORE / "reports").glob("*"), *(out / STORE / "history").glob("*/*")]:
        if stored.resolve() not in used:
            if stored.is_dir():
                shutil.rmtree(stored, ignore_errors=True)
            else:
                stored.unlink(missing_ok=True)


def adopt_legacy(out: Path) -> None:
    """An out/ folder written before releases (or copied without its links: a warehouse
    file and report and history folders in place) becomes a release. Under the run lock."""
    legacy = [name for name in (*FIXED, CURRENT)
              if (out / name).exists() and not (out / name).is_symlink()]
    if not legacy:
        return
    release = out / RELEASES / f"adopted-{uuid.uuid4().hex[:12]}"
    for folder in FOLDERS:
        (release / folder).mkdir(parents=True, exist_ok=True)
    for name in ("warehouse.duckdb", "validation"):
        if name in legacy:
            shutil.rmtree(release / name, ignore_errors=True)
            os.replace(out / name, release / name)
    if "reports" in legacy:
        for entry in sorted((out / "reports").glob("[!.]*")):
            if entry.is_dir() and entry.name[:1].isdigit():
                stored = store_folder(out, entry.name)
                os.replace(entry, stored)
                link(release / "reports" / entry.name, stored)
            else:
                os.replace(entry, release / "reports" / entry.name)
        shutil.rmtree(out / "reports")
    if "history" in legacy:
        for record in sorted((out / "history").glob("*/*.parquet")):
            target = release / "history" / record.parent.name / record.name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(record, target)
            keep(out, target)
        shutil.rmtree(out / "history")
    if CURRENT in legacy:
        shutil.rmtree(out / CURRENT)
    log.info("made the warehouse, reports and history found in %s a release", out)
    switch(out, release)


def _carry(out: Path, source: Path, target: Path, *, skip: str) -> None:
    """The entries of one release's folder, linked the same way in the next release."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(source.glob("*")):
        if entry.name == skip or entry.name.startswith("."):
            continue
        if entry.is_file() and not entry.is_symlink() and entry.suffix == ".parquet":
            keep(out, entry)
        if entry.is_symlink():
            link(target / entry.name, entry)


def _symlink(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.link")
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    os.symlink(text, temporary)
    os.replace(temporary, path)


def _sync(folder: Path) -> None:
    """The rename reaches the disk before the run says it is done."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""The run manifest: out/runs/<run_id>.json, what one run read, checked, wrote and sent.

It is written when the run starts (status running) and again when it ends, so a run that was
killed is still on record, as one that never finished.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from datetime import UTC, datetime

import duckdb

from pipeline.config import Config
from pipeline.delivery_log import DeliveryLog
from pipeline.errors import PublishedWithProblems
from pipeline.files import replace_text, sha256
from pipeline.recipients import COMPANY, NOT_PLAIN, read_recipients, read_refused

# exit code -> the run's status; any other code is "failed"
STATUS = {0: "succeeded", PublishedWithProblems.exit_code: "published with problems"}


class Manifest:
    def __init__(self, config: Config, run_id: str, command: str, mail: str) -> None:
        self.config, self.path = config, config.runs_dir / f"{run_id}.json"
        self.data: dict = {
            "run_id": run_id, "command": command, "as_of": config.as_of.isoformat(),
            "inbox": str(config.inbox), "out": str(config.out), "mail": mail,
            "pid": os.getpid(), "started_at": _now(), "finished_at": None,
            "status": "running", "exit_code": None, "error": None, "steps": {},
            "inputs": [], "rejects": {}, "validation": None, "outputs": {}, "emails": [],
            "problems": [],
        }
        self.write()

    @contextmanager
    def step(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.data["steps"][name] = round(time.perf_counter() - started, 3)

    def record_inputs(self, con: duckdb.DuckDBPyConnection) -> None:
        columns = ["file_name", "sha256", "source", "entity", "status", "rows_read",
                   "rows_loaded", "rows_rejected", "footer_lines", "note"]
        self.data["inputs"] = [dict(zip(columns, row, strict=True)) for row in con.execute(
            f"select {', '.join(columns)} from raw_files order by file_id").fetchall()]
        self.data["rejects"] = dict(con.execute(
            "select reason, count(*) from raw_rejects group by all order by all").fetchall())

    def record_problems(self) -> list[str]:
        """What the published run had to leave out, each said in one line: files refused,
        and people who should get reports but cannot (refused_recipients.json)."""
        problems = [f"{i['file_name']}: refused: {i['note']}" for i in self.data["inputs"]
                    if i["status"] == "refused"]
        folder = self.config.reports_dir / self.config.as_of.isoformat()
        served = {r["scope_id"] for r in read_recipients(folder)}
        refused = read_refused(folder)
        problems += [f"{r['source']}: email {r['address']!r}: {r['reason']}; the reports of "
                     f"{r['scope_id']} were not sent to it" for r in refused
                     if r["reason"] == NOT_PLAIN]
        unserved = [r for r in refused if r["scope_id"] != COMPANY]
        if unserved and not served - {COMPANY}:
            problems.append("none of the managers who should get reports could be reached: "
                            + "; ".join(f"{r['source']}: {r['address'] or r['name']} "
                                        f"({r['reason']})" for r in unserved[:5]))
        self.data["problems"] = problems
        self.write()
        return problems

    def record_outputs(self) -> None:
        config = self.config
        summary = config.runs_dir / f"{self.data['run_id']}.validation" / "summary.json"
        if not summary.is_file():
            summary = config.validation_dir / "summary.json"
        if summary.is_file():
            self.data["validation"] = json.loads(summary.read_text(encoding="utf-8"))
        reports = config.reports_dir / config.as_of.isoformat()
        self.data["outputs"] = {
            "warehouse": str(config.published_warehouse),
            "reports": {str(p.relative_to(reports)): sha256(p)
                        for p in sorted(reports.rglob("*")) if p.is_file()}
            if reports.is_dir() else {},
        }
        if config.delivery_log.is_file():
            with DeliveryLog(config.delivery_log, self.data["run_id"]) as book:
                self.data["emails"] = [
                    {"recipient": d.recipient, "report": d.report, "status": d.status,
                     "message_id": d.message_id, "attempts": d.attempts,
                     "last_error": d.last_error}
                    for d in book.all(config.as_of.isoformat())]

    def finish(self, exit_code: int, error: str | None = None) -> None:
        self.data |= {"finished_at": _now(), "exit_code": exit_code, "error": error,
                      "status": STATUS.get(exit_code, "failed")}
        self.write()

    def write(self) -> None:
        replace_text(self.path, json.dumps(self.data, ensure_ascii=False, indent=2,
                                           default=str))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

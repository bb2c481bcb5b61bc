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
from pipeline.delivery.delivery_log import DeliveryLog
from pipeline.delivery.recipients import COMPANY, NOT_PLAIN, read_recipients, read_refused
from pipeline.errors import PublishedWithProblems
from pipeline.ingest.files import replace_text, sha256

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
            "warnings": [], "problems": [],
        }
        self.write()

    @contextmanager
    def step(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.data["steps"][name] = round(time.perf_counter() - started, 3)

    def record_ingest(self, result, con: duckdb.DuckDBPyConnection) -> None:
        """Every entry of the inbox (read, refused, skipped, with the reason), the rejects by
        reason and every warning: also when the ingest failed part way."""
        self.data["inputs"] = [{
            "file_name": f.path.name, "sha256": f.sha256,
            "source": f.mapping.source.name if f.mapping else None,
            "entity": f.mapping.entity.name if f.mapping else None, "status": f.status,
            "rows_read": f.rows_read, "rows_loaded": f.rows_loaded,
            "rows_rejected": f.rows_rejected, "footer_lines": f.footer_lines, "note": f.note,
        } for f in result.files]
        self.data["warnings"] = list(result.warnings)
        try:
            self.data["rejects"] = dict(con.execute(
                "select reason, count(*) from raw_rejects group by all order by all").fetchall())
        except duckdb.Error:  # the ingest stopped before it made the table
            self.data["rejects"] = {}
        self.write()

    def record_problems(self, *, mailing: bool) -> list[str]:
        """What the published run had to leave out, each said in one line: files refused,
        and, for a run that mails, people who should get reports but cannot
        (refused_recipients.json)."""
        problems = [f"{i['file_name']}: refused: {i['note']}" for i in self.data["inputs"]
                    if i["status"] == "refused"]
        if mailing:
            problems += self._recipient_problems()
        self.data["problems"] = problems
        self.write()
        return problems

    def _recipient_problems(self) -> list[str]:
        folder = self.config.reports_dir / self.config.as_of.isoformat()
        served = {r["scope_id"] for r in read_recipients(folder)}
        refused = read_refused(folder)
        problems = [f"{r['source']}: email {r['address']!r}: {r['reason']}; the reports of "
                    f"{r['name']} ({r['scope_id']}) were not sent to it" for r in refused
                    if r["reason"] == NOT_PLAIN]
        unserved = [r for r in refused if r["scope_id"] != COMPANY]
        if unserved and not served - {COMPANY}:
            problems.append("none of the managers who should get reports could be reached: "
                            + "; ".join(f"{r['source']}: {r['address'] or r['name']} "
                                        f"({r['reason']})" for r in unserved[:5]))
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

    def record_warnings(self, logged: list[str]) -> None:
        """The warnings the run logged beyond the ingest's (owners not in the org chart,
        recipients skipped, retries...), so that the record counts every one."""
        self.data["warnings"] += [m for m in dict.fromkeys(logged)
                                  if m not in self.data["warnings"]]

    def finish(self, exit_code: int, error: str | None = None) -> None:
        self.data |= {"finished_at": _now(), "exit_code": exit_code, "error": error,
                      "status": STATUS.get(exit_code, "failed")}
        self.write()

    def write(self) -> None:
        replace_text(self.path, json.dumps(self.data, ensure_ascii=False, indent=2,
                                           default=str))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

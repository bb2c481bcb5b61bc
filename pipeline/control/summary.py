"""The few lines a run ends with, taken from its manifest (out/runs/<run_id>.json): what it
read and rejected, the warnings, the warehouse, the reports, the email; for a failed run, the
exit code, what failed and where the run record is. On a terminal they are a log line of a
few lines; in JSON lines, one `run_summary` event with the same fields."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

from pipeline.config import Config
from pipeline.delivery.delivery_log import is_chat

log = logging.getLogger("pipeline.summary")

# the delivery log's messages to ops, not reports
OPS_MESSAGES = ("run-failure", "run-problems")


def summary(manifest: dict, record: Path) -> dict:
    """The summary's fields; a part the run did not get to is left out."""
    steps, failed = manifest["steps"], manifest["status"] == "failed"
    out = Path(manifest["out"])
    fields = {key: manifest[key] for key in ("run_id", "command", "as_of", "status",
                                             "exit_code", "error")}
    fields["failed_step"] = next(reversed(steps), None) if failed else None
    if "ingest" in steps:
        files = Counter(i["status"] for i in manifest["inputs"])
        fields |= {
            "files_read": files["loaded"], "files_refused": files["refused"],
            "files_skipped": files["skipped"] + files["duplicate"],
            "rows_loaded": sum(i["rows_loaded"] or 0 for i in manifest["inputs"]),
            "rows_rejected": sum(manifest["rejects"].values()),
            "warnings": len(manifest["warnings"]),
        }
    fields["warehouse"] = manifest["outputs"].get("warehouse") or str(out / "warehouse.duckdb")
    # a run that failed in its delivery had published its reports
    published = not failed or fields["failed_step"] == "deliver"
    if "report" in steps and published:
        fields["reports_index"] = str(out / "reports" / "index.html")
        fields["reports_folder"] = str(out / "reports" / manifest["as_of"])
    if "deliver" in steps or (manifest["command"] == "run" and published):
        fields["emails"] = _emails(manifest, out)
        if chat := _chat(manifest, out):
            fields["chat"] = chat
    fields["run_record"] = str(record)
    return fields


def _emails(manifest: dict, out: Path) -> dict | None:
    """Counts by status of the date's messages in the delivery log, or the messages written
    to the outbox; None when the run wrote none."""
    if "deliver" not in manifest["steps"]:
        return None
    if manifest["mail"] == "dry-run":
        outbox = out / "outbox" / manifest["as_of"]
        return {"written": len(list(outbox.glob("*.eml"))), "outbox": str(outbox)}
    return dict(Counter(e["status"] for e in manifest["emails"]
                        if e["report"] not in OPS_MESSAGES
                        and not is_chat(e.get("recipient", ""))))


def _chat(manifest: dict, out: Path) -> dict | None:
    """Counts by status of the date's chat messages (recipient kind:name), or the requests
    written to the outbox; None when the run has no chat targets."""
    if "deliver" not in manifest["steps"]:
        return None
    if manifest["mail"] == "dry-run":
        outbox = out / "outbox" / manifest["as_of"]
        written = len(list(outbox.glob("chat--*.json")))
        return {"written": written, "outbox": str(outbox)} if written else None
    return dict(Counter(e["status"] for e in manifest["emails"]
                        if is_chat(e.get("recipient", "")))) or None


def text(fields: dict) -> str:
    """The summary as a few lines for a person."""
    head = f"run {fields['run_id']} ({fields['command']}, as of {fields['as_of']}): "
    if fields["status"] == "failed":
        where = f" in {fields['failed_step']}" if fields.get("failed_step") else ""
        head += f"failed{where}, exit {fields['exit_code']}: {fields['error']}"
        if fields["command"] == "run" and fields["failed_step"] != "deliver":
            head += "\n  nothing was published: the warehouse and reports are as they were"
    else:
        head += f"{fields['status']} (exit {fields['exit_code']})"
        if fields.get("error"):
            head += f": {fields['error']}"
    lines = [head]
    if "files_read" in fields:
        read = _count(fields["files_read"], "file") + " loaded"
        if fields["files_refused"]:
            read += f", {fields['files_refused']} refused"
        if fields["files_skipped"]:
            read += f", {fields['files_skipped']} skipped"
        read += f"; {fields['rows_loaded']:,} rows loaded, {fields['rows_rejected']:,} rejected"
        if fields["rows_rejected"]:
            read += (" (by reason in the run record)" if fields["status"] == "failed"
                     else f" (table raw_rejects of {fields['warehouse']})")
        lines += [f"  read:       {read}",
                  f"  warnings:   {fields['warnings']} (listed in the run record)"]
    lines.append(f"  warehouse:  {fields['warehouse']}")
    if "reports_index" in fields:
        lines.append(f"  reports:    {fields['reports_index']} "
                     f"(this run: {fields['reports_folder']}/)")
    if "emails" in fields:
        lines.append(f"  emails:     {_emails_text(fields['emails'])}")
    if "chat" in fields:
        lines.append(f"  chat:       {_emails_text(fields['chat'], 'requests')}")
    if fields["run_record"]:
        lines.append(f"  run record: {fields['run_record']}")
    return "\n".join(lines)


def _count(number: int, thing: str) -> str:
    return f"{number:,} {thing}{'' if number == 1 else 's'}"


def _emails_text(emails: dict | None, what: str = "") -> str:
    if emails is None:
        return "none"
    if "outbox" in emails:
        return (f"{emails['written']}{' ' + what if what else ''} written to "
                f"{emails['outbox']}/ (dry run: none sent)")
    if not emails:
        return "none to send"
    return ", ".join(f"{count} {status}" for status, count in sorted(emails.items()))


def log_summary(manifest: dict, record: Path) -> None:
    fields = summary(manifest, record)
    level = (logging.ERROR if fields["status"] == "failed"
             else logging.WARNING if fields["exit_code"] else logging.INFO)
    log.log(level, "%s", text(fields), extra={"event": "run_summary", "fields": fields})


def log_failure(run_id: str, command: str, error: BaseException,
                config: Config | None = None) -> None:
    """The summary of a run that stopped outside the run proper (a bad setting, the output
    folder busy): from its run record if it wrote one, else the error alone. A run that
    failed inside has given its summary already."""
    if getattr(error, "summarized", False):
        return
    record = config.runs_dir / f"{run_id}.json" if config is not None else None
    if record is not None and record.is_file():
        log_summary(json.loads(record.read_text(encoding="utf-8")), record)
        return
    fields = {"run_id": run_id, "command": command,
              "as_of": config.as_of.isoformat() if config else None, "status": "failed",
              "exit_code": getattr(error, "exit_code", 1), "error": str(error),
              "failed_step": None, "run_record": None}
    log.error("run %s (%s): failed before it started, exit %d: %s; no run record", run_id,
              command, fields["exit_code"], error,
              extra={"event": "run_summary", "fields": fields})

"""Chat delivery: each chat target of the settings gets its scope's morning summary from its
group robot (WeCom, DingTalk, Feishu), exactly once, as the email does.

The settings say which robot gets which scope's summary, in which language, and the names of
the environment variables holding its webhook address and secret (config.chat_endpoint reads
them; neither is ever logged or written: the log names a target as kind:name). The published
run says what is posted: each edition's chat.json. Every message is a row of the delivery log
(recipient: kind:name, report: the edition's folder, or folder#file for a file a WeCom robot
posts after it), recorded before it is sent, with the email's statuses: a rerun sends only
what is pending or failed; unknown (the request went out, no reply came) is never sent again
but by `resend`. A target whose variables are unset, whose robot refuses, or whose platform is
down costs that target only.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import ChatEndpoint, Config, chat_endpoint
from pipeline.delivery import platforms, webhook
from pipeline.delivery.delivery_log import Delivery, DeliveryLog, is_chat
from pipeline.delivery.messages import attachment_name, message_id
from pipeline.delivery.recipients import CHAT_FILE
from pipeline.delivery.webhook import Clock, Pacer, Permanent, Temporary, Unknown
from pipeline.errors import ConfigError, DeliveryFailed
from pipeline.report.archive import EDITIONS_FILE

log = logging.getLogger(__name__)

CHAT_DOMAIN = "chat"


@dataclass(frozen=True)
class ChatTarget:
    name: str
    kind: str
    scope_id: str
    language: str
    webhook_env: str
    secret_env: str
    keyword: str
    files: bool

    @property
    def recipient(self) -> str:
        """How the delivery log, the logs and `resend` name it: kind:name."""
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class Part:
    """One message a target is owed: the summary of an edition (`file` None), or one of the
    edition's PDFs; `folder` None when the run has no edition for the target."""

    target: ChatTarget
    report: str
    folder: str | None
    file: str | None = None


def chat_targets(config: Config) -> list[ChatTarget]:
    return [ChatTarget(
        name=t["name"], kind=t["kind"], scope_id=str(t["scope"]),
        language=t.get("language") or config.language, webhook_env=t["webhook_env"],
        secret_env=t.get("secret_env") or "", keyword=t.get("keyword") or "",
        files=bool(t.get("files", platforms.PLATFORMS[t["kind"]].files)))
        for t in config.chat]


def plan(config: Config, run_folder: Path) -> list[Part]:
    """Every message the settings' chat targets are owed from the run in `run_folder`."""
    editions_file = run_folder / EDITIONS_FILE
    editions = json.loads(editions_file.read_text(encoding="utf-8")) \
        if editions_file.is_file() else []
    folders = {(e["scope_id"], e["language"]): e["folder"] for e in editions}
    parts = []
    for target in chat_targets(config):
        folder = folders.get((target.scope_id, target.language))
        if folder is None:
            parts.append(Part(target, f"{target.scope_id}/{target.language}", None))
            continue
        parts.append(Part(target, folder, folder))
        if target.files and platforms.PLATFORMS[target.kind].files:
            try:
                reports = _read_chat(run_folder / folder)["reports"]
            except ConfigError:  # the summary's own row fails, and says why
                reports = []
            parts += [Part(target, f"{folder}#{r['file']}", folder, r["file"])
                      for r in reports]
    return parts


def deliver_chat(config: Config, run_id: str, run_folder: Path,
                 clock: Clock | None = None) -> list[Delivery]:
    """Posts every message of the date the log does not have as sent (or possibly posted);
    returns the log's chat rows for the date. Raises DeliveryFailed if any of them was tried
    now and not posted."""
    parts = plan(config, run_folder)
    if not parts:
        return []
    as_of = config.as_of.isoformat()
    with DeliveryLog(config.delivery_log, run_id) as book:
        for part in parts:
            book.owe(as_of, part.target.recipient, part.report, part.target.scope_id,
                     part.target.language, _message_id(as_of, part, 0))
        due = {(d.recipient, d.report): d for d in book.due(as_of) if is_chat(d.recipient)}
        tried = [(part, due[(part.target.recipient, part.report)]) for part in parts
                 if (part.target.recipient, part.report) in due]
        _post(book, tried, config, run_folder, clock or Clock())
        return _finish(book, as_of, tried)


def resend_chat(config: Config, run_id: str, run_folder: Path, recipient: str,
                report: str | None = None, clock: Clock | None = None) -> None:
    """Posts a date's messages to one chat target again, each under a new id."""
    as_of = config.as_of.isoformat()
    parts = {(p.target.recipient, p.report): p for p in plan(config, run_folder)}
    with DeliveryLog(config.delivery_log, run_id) as book:
        chosen = [d for d in book.all(as_of) if d.recipient.lower() == recipient.lower()
                  and (report is None or d.report == report
                       or d.report.startswith(f"{report}#"))]
        if not chosen:
            raise ConfigError(f"the delivery log has no message for {recipient} as of {as_of}"
                              + (f" in {report}" if report else ""))
        missing = [d for d in chosen if (d.recipient, d.report) not in parts]
        if missing:
            raise ConfigError(f"no chat target {recipient} in the settings for "
                              f"{missing[0].report}: it says where the robot is")
        tried = []
        for d in chosen:
            part = parts[(d.recipient, d.report)]
            book.renew(d, _message_id(as_of, part, d.generation + 1))
            tried.append((part, book.find(as_of, d.recipient, d.report)))
        _post(book, tried, config, run_folder, clock or Clock())
        _finish(book, as_of, tried)


def write_chat_outbox(config: Config, run_folder: Path, folder: Path) -> int:
    """The dry run: each request the chat targets would get, as JSON in `folder` (the
    outbox), the webhook address and secret by the names of their variables only."""
    written = 0
    for part in plan(config, run_folder):
        target = part.target
        name = f"chat--{target.kind}--{target.name}--{part.report.replace('/', '-')}"
        request: dict = {"target": target.recipient, "kind": target.kind,
                         "url": f"${target.webhook_env}",
                         "signed_with": f"${target.secret_env}" if target.secret_env else None}
        if part.folder is None:
            request["error"] = _no_edition(target)
        elif part.file is None:
            try:
                request["body"] = _summary(config, run_folder, part)
            except (ConfigError, ValueError) as error:
                request["error"] = str(error)
        else:
            request["upload"] = {"url": f"${target.webhook_env} (upload_media, type=file)",
                                 "file": attachment_name(part.file, config.as_of.isoformat())}
            request["body"] = platforms.file_message("<media_id of the upload>")
        (folder / f"{name.replace('#', '--')}.json").write_text(
            json.dumps(request, ensure_ascii=False, indent=2), encoding="utf-8")
        written += 1
    return written


# --- posting ---------------------------------------------------------------------------------

def _post(book: DeliveryLog, tried: list[tuple[Part, Delivery]], config: Config,
          run_folder: Path, clock: Clock) -> None:
    pacer = Pacer(clock)
    endpoints: dict[str, ChatEndpoint | ConfigError] = {}
    for part, d in tried:
        target = part.target
        if target.recipient not in endpoints:
            try:
                endpoints[target.recipient] = chat_endpoint(target.webhook_env,
                                                            target.secret_env)
            except ConfigError as error:
                endpoints[target.recipient] = error
        endpoint = endpoints[target.recipient]
        try:
            if isinstance(endpoint, ConfigError):
                raise endpoint
            if part.folder is None:
                raise ConfigError(_no_edition(target))
            body = None if part.file else _summary(config, run_folder, part)
        except (ConfigError, OSError, ValueError) as error:  # this target's message only
            book.mark(d, "failed", str(error))
            log.error("%s (%s) not posted: %s", target.recipient, part.report, error)
            continue
        _post_one(book, d, part, endpoint, body, config, run_folder, pacer, clock)


def _post_one(book: DeliveryLog, d: Delivery, part: Part, endpoint: ChatEndpoint,
              body: dict | None, config: Config, run_folder: Path, pacer: Pacer,
              clock: Clock) -> None:
    kind, who = part.target.kind, f"{part.target.recipient} ({part.report})"
    error: str | None = None
    for attempt in range(1, config.chat_attempts + 1):
        if attempt > 1:
            clock.sleep(config.chat_backoff_seconds * 2 ** (attempt - 2))
        began = False

        def sending() -> None:
            nonlocal began
            began = True
            book.mark(d, "unknown", "request sent, no reply yet", attempted=True)

        try:
            payload = body if body is not None else _upload(part, endpoint, config,
                                                            run_folder)
            pacer.wait(endpoint.url.reveal(), platforms.PLATFORMS[kind].rate)
            url, signed = platforms.sign(kind, endpoint.url.reveal(), payload,
                                         endpoint.secret.reveal() if endpoint.secret else None,
                                         clock.now())
            status, data = webhook.post(url, json.dumps(signed, ensure_ascii=False).encode(),
                                        "application/json; charset=utf-8", sending)
            what, reply = platforms.outcome(kind, status, data)
        except Temporary as problem:
            what, reply = platforms.RETRY, str(problem)
        except Unknown as problem:
            what, reply = platforms.UNKNOWN, str(problem)
        except Permanent as problem:
            what, reply = platforms.FAIL, str(problem)
        if what == platforms.OK:
            book.mark(d, "sent", reply)
            log.info("posted %s", who)
            return
        if what == platforms.UNKNOWN:
            book.mark(d, "unknown", reply)
            log.error("%s may or may not have been posted: %s; not sent again (`make resend "
                      "RECIPIENT=%s` posts it again)", who, reply, part.target.recipient)
            return
        if what == platforms.FAIL:
            book.mark(d, "failed", reply, attempted=not began)
            log.error("%s refused: %s", who, reply)
            return
        error = reply
        book.mark(d, "pending", f"attempt {attempt}: {reply}", attempted=not began)
        log.warning("%s: %s; trying again", who, reply)
    book.mark(d, "failed", f"gave up after {config.chat_attempts} attempts: {error}")
    log.error("%s: gave up after %d attempts: %s", who, config.chat_attempts, error)


def _upload(part: Part, endpoint: ChatEndpoint, config: Config, run_folder: Path) -> dict:
    """A WeCom robot's file: uploaded (upload_media), then its message. A failed upload
    posted nothing, so any failure of it is one a retry can pass but a refusal."""
    try:
        content = (run_folder / part.folder / part.file).read_bytes()
    except OSError as error:
        raise Permanent(f"cannot read {part.file}: {error}") from None
    body, content_type = webhook.multipart(
        "media", attachment_name(part.file, config.as_of.isoformat()), content)
    try:
        status, data = webhook.post(platforms.upload_address(endpoint.url.reveal()), body,
                                    content_type)
    except Unknown as problem:
        raise Temporary(f"upload: {problem}") from None
    what, reply = platforms.outcome(part.target.kind, status, data)
    if what == platforms.FAIL:
        raise Permanent(f"upload: {reply}")
    media = json.loads(data).get("media_id") if what == platforms.OK else None
    if not media:
        raise Temporary(f"upload: {reply}")
    return platforms.file_message(media)


def _summary(config: Config, run_folder: Path, part: Part) -> dict:
    chat = _read_chat(run_folder / part.folder)
    target = part.target
    links = []
    if config.reports_url:
        base = f"{config.reports_url.rstrip('/')}/{config.as_of.isoformat()}/{part.folder}"
        links = [(r["label"], f"{base}/{r['page']}") for r in chat["reports"]]
    files = [attachment_name(r["file"], config.as_of.isoformat()) for r in chat["reports"]] \
        if target.files and platforms.PLATFORMS[target.kind].files else []
    return platforms.message(target.kind, chat, keyword=target.keyword, links=links,
                             files=files)


def _read_chat(edition: Path) -> dict:
    path = edition / CHAT_FILE
    if not path.is_file():
        raise ConfigError(f"{path} does not exist: the run was published before chat "
                          "delivery; run it again for this date")
    return json.loads(path.read_text(encoding="utf-8"))


def _no_edition(target: ChatTarget) -> str:
    return (f"the run has no {target.language} edition of scope {target.scope_id!r} (not "
            "'company' nor a manager in org.csv, or the language was added after the run)")


def _message_id(as_of: str, part: Part, generation: int) -> str:
    return message_id(as_of, part.report, part.target.recipient, generation, CHAT_DOMAIN)


def _finish(book: DeliveryLog, as_of: str, tried: list[tuple[Part, Delivery]]) -> list[Delivery]:
    rows = [r for r in book.all(as_of) if is_chat(r.recipient)]
    keys = {(d.recipient, d.report) for _, d in tried}
    bad = [r for r in rows if (r.recipient, r.report) in keys and r.status != "sent"]
    log.info("chat: %d posted now, %d not posted", len(keys) - len(bad), len(bad))
    if bad:
        raise DeliveryFailed(f"{len(bad)} of {len(keys)} chat messages not posted: " + "; ".join(
            f"{r.recipient} ({r.report}): {r.status}, {r.last_error}" for r in bad[:5]))
    return rows

"""Email messages: one edition's email.json -> a MIME message for one recipient.

The message is multipart: a plain-text part and the HTML body with its charts inline (by
Content-ID), then the PDFs and tables attached under ASCII file names. Every header value
that comes from data (a team or person's name in the subject or an address's display name)
goes through clean_header first, and the email policy refuses any line break left over.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from pipeline.errors import ConfigError

SMTP_POLICY = policy.SMTP.clone(raise_on_defect=True)
# "=?charset?q?...?=" in a value would be decoded by mail clients as if we had encoded it
ENCODED_WORD = re.compile(r"=\?")
MEDIA_TYPES = {".pdf": ("application", "pdf"), ".csv": ("text", "csv"),
               ".xlsx": ("application",
                         "vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


def clean_header(value: str, limit: int = 200) -> str:
    """A header value from data, made inert: line breaks, NUL and other control characters
    become spaces, encoded-word openers are broken, runs of spaces collapse."""
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
                   for c in str(value))
    text = ENCODED_WORD.sub("= ?", text)
    return re.sub(r"\s+", " ", text).strip()[:limit]


def message_id(as_of: str, report: str, address: str, generation: int, domain: str) -> str:
    """The same delivery gets the same id on every try; a resend (next generation) a new one."""
    digest = hashlib.sha256(f"{as_of}|{report}|{address.lower()}|{generation}".encode())
    return f"<{as_of}.{digest.hexdigest()[:20]}.{generation}@{domain}>"


def sender_domain(sender: str) -> str:
    return sender.rsplit("@", 1)[-1]


def report_message(edition_folder: Path, *, sender: str, recipient: str, name: str,
                   as_of: str, msgid: str, sent_at: datetime) -> EmailMessage:
    """The email of one edition (a folder of the published run) for one recipient."""
    spec = json.loads((edition_folder / "email.json").read_text(encoding="utf-8"))
    message = _headers(sender, recipient, name, spec["subject"], msgid, sent_at)
    message.set_content((edition_folder / spec["text"]).read_text(encoding="utf-8"))
    message.add_alternative((edition_folder / spec["html"]).read_text(encoding="utf-8"),
                            subtype="html")
    html = message.get_payload()[1]
    for image in spec["inline"]:
        html.add_related((edition_folder / image["file"]).read_bytes(), "image", "png",
                         cid=f"<{image['cid']}>", disposition="inline",
                         filename=Path(image["file"]).name)
    for name_ in spec["attachments"]:
        path = edition_folder / name_
        maintype, subtype = MEDIA_TYPES.get(path.suffix, ("application", "octet-stream"))
        message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype,
                               filename=attachment_name(path.name, as_of))
    return message


def text_message(*, sender: str, recipient: str, subject: str, body: str, msgid: str,
                 sent_at: datetime) -> EmailMessage:
    message = _headers(sender, recipient, "", subject, msgid, sent_at)
    message.set_content(body)
    return message


def attachment_name(name: str, as_of: str) -> str:
    """performance.pdf -> performance-2026-11-20.pdf, in ASCII whatever the name held."""
    path = Path(name)
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem) or "report"
    return f"{stem}-{as_of}{path.suffix}"


def _headers(sender: str, recipient: str, name: str, subject: str, msgid: str,
             sent_at: datetime) -> EmailMessage:
    message = EmailMessage(policy=SMTP_POLICY)
    try:
        message["From"] = Address(addr_spec=sender)
        message["To"] = Address(display_name=clean_header(name), addr_spec=recipient)
    except (ValueError, IndexError) as error:
        raise ConfigError(f"not a usable email address: {error}") from error
    message["Subject"] = clean_header(subject)
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = msgid
    message["Auto-Submitted"] = "auto-generated"
    return message

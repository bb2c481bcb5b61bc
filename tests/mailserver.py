"""A real SMTP server on loopback (aiosmtpd) with STARTTLS, login, and faults on demand.

Faults are queued per command and address: `server.fail("RCPT", "451 4.3.0 try later",
address="a@example.com")` answers that address's next RCPT with 451; "disconnect" drops the
connection instead of answering; "hold" makes the command wait until `server.release()` (for a test
that kills the client at that moment; `held` is set when it starts waiting).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

USER, PASSWORD = "reports", "s3cret-Pa55word!"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class MailServer:
    host: str
    port: int
    ca_file: Path
    received: list[Received] = field(default_factory=list)
    faults: dict = field(default_factory=lambda: defaultdict(deque))
    held: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def fail(self, command: str, reply: str, *, address: str = "*", times: int = 1) -> None:
        self.faults[(command, address)].extend([reply] * times)

    def reset(self) -> None:
        self.received.clear()
        self.faults.clear()
        self.held.clear()
        self.released.set()

    def release(self) -> None:
        self.released.set()

    def env(self, **more: str) -> dict[str, str]:
        return {"SMTP_HOST": self.host, "SMTP_PORT": str(self.port),
                "SMTP_SECURITY": "starttls", "SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD,
                "MAIL_FROM": "reports@example.com", "SMTP_CA_FILE": str(self.ca_file),
                "SMTP_TIMEOUT": "10", **more}

    def counts(self) -> dict[str, int]:
        """Messages received per recipient address."""
        counts: dict[str, int] = {}
        for message in self.received:
            for address in message.recipients:
                counts[address] = counts.get(address, 0) + 1
        return counts

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]

    def _fault(self, command: str, address: str = "*") -> str | None:
        for key in ((command, address), (command, "*")):
            if self.faults.get(key):
                return self.faults[key].popleft()
        return None


class Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def _fault(self, command: str, address: str, smtp) -> str | None:
        fault = self.server._fault(command, address)
        if fault == "hold":
            self.server.held.set()
            while not self.server.released.is_set():
                await asyncio.sleep(0.05)
            return None
        return _apply(fault, smtp) if fault else None

    async def handle_MAIL(self, server, session, envelope, address, options):
        fault = await self._fault("MAIL", "*", server)
        if fault:
            return fault
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        fault = await self._fault("RCPT", address, server)
        if fault:
            return fault
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        fault = await self._fault("DATA", envelope.rcpt_tos[0], server)
        if fault:
            return fault
        self.server.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                             envelope.original_content or envelope.content))
        return "250 2.0.0 Message accepted for delivery"


def _apply(fault: str, server) -> str:
    if fault == "disconnect":
        server.transport.close()
        return "421 closing"
    return fault


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(folder: Path) -> tuple[MailServer, Controller]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = folder / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = MailServer("127.0.0.1", free_port(), ca_file)
    server.released.set()
    controller = Controller(Handler(server), hostname="127.0.0.1", port=server.port,
                            tls_context=context, require_starttls=True,
                            authenticator=_authenticate, auth_required=True,
                            auth_require_tls=True, decode_data=False)
    controller.start()
    return server, controller

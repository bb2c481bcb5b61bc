"""One HTTP POST to a group robot's webhook, and what a failure of it means; a pace that keeps
each robot under its platform's rate limit.

Up to the moment the request starts to go out, a failure is safe to retry: nothing reached the
robot. After it, a dropped connection or a reply that never comes means the message may have
been posted: the caller records it as unknown and does not send it again. Nothing here logs or
raises with the address, which holds the robot's key.
"""

from __future__ import annotations

import http.client
import ssl
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

TIMEOUT = 30.0


class Temporary(Exception):
    """Nothing was posted, or the platform said a retry can pass: try again later."""


class Permanent(Exception):
    """The platform refused the message and says a retry cannot pass."""


class Unknown(Exception):
    """The request went out and no reply came back: it may have been posted."""


@dataclass
class Clock:
    """The time, and a way to wait: a test passes its own, so that nothing sleeps."""

    now: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


def post(url: str, body: bytes, content_type: str, sending: Callable[[], None] = lambda: None,
         timeout: float = TIMEOUT) -> tuple[int, bytes]:
    """POSTs body to url; returns the reply's status and body. `sending` is called once the
    connection is open, just before the request goes out."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        try:
            connection.connect()
        except OSError as error:
            raise Temporary(f"could not connect: {_reason(error)}") from None
        sending()
        try:
            connection.request("POST", path, body=body, headers={
                "Content-Type": content_type, "User-Agent": "crm-nightly-reports"})
        except OSError as error:  # the request did not go out whole: nothing was posted
            raise Temporary(f"connection lost while sending: {_reason(error)}") from None
        try:
            reply = connection.getresponse()
            return reply.status, reply.read()
        except (OSError, http.client.HTTPException) as error:
            raise Unknown(f"no reply after the request was sent: {_reason(error)}") from None
    finally:
        connection.close()


def multipart(field_name: str, filename: str, content: bytes) -> tuple[bytes, str]:
    """A form with one file, as WeCom's upload_media takes it; (body, content type)."""
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field_name}\"; "
            f"filename=\"{filename}\"; filelength={len(content)}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), \
        f"multipart/form-data; boundary={boundary}"


def _reason(error: BaseException) -> str:
    return type(error).__name__ + (f": {error}" if str(error) else "")


@dataclass
class Pacer:
    """Waits before a message that would take a robot over its platform's rate: at most n
    messages in any `seconds`, for each (n, seconds) of the platform's limits."""

    clock: Clock
    sent: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))

    def wait(self, robot: str, limits: tuple[tuple[int, float], ...]) -> None:
        times = self.sent[robot]
        span = max(seconds for _, seconds in limits)
        for count, seconds in limits:
            recent = [t for t in times if t > self.clock.now() - seconds]
            if len(recent) >= count:
                self.clock.sleep(recent[-count] + seconds - self.clock.now())
        now = self.clock.now()
        while times and times[0] <= now - span:
            times.popleft()
        times.append(now)

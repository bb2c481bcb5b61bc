"""One SMTP connection, reused from message to message, and what each reply means.

A send goes MAIL, RCPT, then DATA. Up to the moment the message data starts, a failure is
safe to retry: nothing was delivered. After it, a dropped connection means the message may
have arrived: the caller records it as unknown and does not send it again.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage

from pipeline.config import SmtpSettings


class Temporary(Exception):
    """A 4xx reply, or a connection error before the data: try again later."""


class Permanent(Exception):
    """A 5xx reply: this recipient will not get this message; do not retry."""


class Unknown(Exception):
    """The connection failed after the message data began: it may have been delivered."""


class AuthFailed(Exception):
    """The server refused our login: no message can be sent with these credentials."""


class Mailer:
    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None

    def send(self, message: EmailMessage, recipient: str,
             data_begins: Callable[[], None]) -> str:
        """Sends one message to one address; returns the server's acceptance reply.
        `data_begins` is called just before the message data is sent."""
        try:
            smtp = self._connection()
            self._expect(smtp.mail(self.settings.sender), 250)
            self._expect(smtp.rcpt(recipient), 250, 251)
            self._expect(smtp.docmd("data"), 354)
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            raise Temporary(f"connection failed: {error}") from None
        data_begins()
        try:
            smtp.send(_data(message))
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            raise Unknown(f"connection lost during the message data: {error}") from None
        if code == 250:
            return _text(reply)
        self._after_refusal(code)
        raise (Temporary if 400 <= code < 500 else Permanent)(f"{code} {_text(reply)}")

    def _connection(self) -> smtplib.SMTP:
        if self.smtp is not None:
            return self.smtp
        s = self.settings
        context = ssl.create_default_context(cafile=str(s.ca_file) if s.ca_file else None)
        if s.security == "tls":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, s.password.reveal())
        except smtplib.SMTPAuthenticationError as error:
            smtp.close()
            raise AuthFailed(f"{error.smtp_code} {_text(error.smtp_error)}") from None
        except smtplib.SMTPResponseException as error:
            smtp.close()
            kind = Temporary if 400 <= error.smtp_code < 500 else Permanent
            raise kind(f"{error.smtp_code} {_text(error.smtp_error)}") from None
        except BaseException:
            smtp.close()
            raise
        self.smtp = smtp
        return smtp

    def _expect(self, reply: tuple[int, bytes], *ok: int) -> None:
        code, text = reply
        if code in ok:
            return
        self._after_refusal(code)
        raise (Temporary if 400 <= code < 500 else Permanent)(f"{code} {_text(text)}")

    def _after_refusal(self, code: int) -> None:
        """421 means the server is closing; after any other refusal, reset the session."""
        if code == 421 or self.smtp is None:
            self._drop()
            return
        try:
            self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None


def _data(message: EmailMessage) -> bytes:
    """The message as SMTP DATA: CRLF lines, leading dots doubled, ending in CRLF.CRLF."""
    data = message.as_bytes()
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return re.sub(rb"(?m)^\.", b"..", data) + b".\r\n"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)

"""A loopback HTTP server (stdlib http.server, in a thread) that answers as the group robots of
WeCom, DingTalk and Feishu do, per their documentation: the same paths, the same signature and
keyword checks, the same size limits, and the same replies, an HTTP 200 whose code says
whether the message was posted.

    server.robot("wecom", "k-east")                       # a WeCom robot with key k-east
    server.robot("dingtalk", "t-1", secret="SEC...", keyword="日报")
    server.fail("t-1", "rate")                            # its next request: the rate-limit code
    server.url("t-1")                                     # its webhook address on loopback

Faults, queued per robot: "rate" (the platform's rate-limit code), "busy" (WeCom/DingTalk -1),
"5xx" (HTTP 502 from a gateway), "drop" (the request is read, and the connection closed
without a reply).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

OK = {"wecom": {"errcode": 0, "errmsg": "ok"}, "dingtalk": {"errcode": 0, "errmsg": "ok"},
      "feishu": {"code": 0, "data": {}, "msg": "success"}}
RATE = {"wecom": {"errcode": 45009, "errmsg": "api freq out of limit"},
        "dingtalk": {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"},
        "feishu": {"code": 11232, "data": {}, "msg": "frequency limited"}}
BUSY = {"wecom": {"errcode": -1, "errmsg": "system busy"},
        "dingtalk": {"errcode": -1, "errmsg": "系统繁忙"},
        "feishu": {"code": 11232, "data": {}, "msg": "frequency limited"}}
NO_ROBOT = {"wecom": {"errcode": 93000, "errmsg": "invalid webhook url"},
            "dingtalk": {"errcode": 300001, "errmsg": "token is not exist"},
            "feishu": {"code": 19001, "data": {}, "msg": "param invalid: incoming webhook "
                                                         "access token invalid"}}
BAD_SIGN = {"dingtalk": {"errcode": 310000, "errmsg": "sign not match"},
            "feishu": {"code": 19021, "data": {}, "msg": "sign match fail or timestamp is not "
                                                         "within one hour from current time"}}
NO_KEYWORD = {"dingtalk": {"errcode": 310000, "errmsg": "keywords not in content"},
              "feishu": {"code": 19024, "data": {}, "msg": "Key Words Not Found"}}
TOO_LONG = {"wecom": {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"},
            "dingtalk": {"errcode": 460101, "errmsg": "message too long"},
            "feishu": {"code": 9499, "data": {}, "msg": "Bad Request"}}
LIMITS = {"wecom": 4096, "dingtalk": 20000, "feishu": 20 * 1024}


@dataclass
class Robot:
    kind: str
    token: str
    secret: str | None = None
    keyword: str | None = None


@dataclass
class Post:
    """A message a robot posted to its group: its request body, parsed."""

    kind: str
    token: str
    body: dict
    signed: bool


@dataclass
class ChatServer:
    host: str = "127.0.0.1"
    port: int = 0
    robots: dict[str, Robot] = field(default_factory=dict)
    posted: list[Post] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (token, what it answered)
    uploads: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # media_id -> file
    faults: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def robot(self, kind: str, token: str, *, secret: str | None = None,
              keyword: str | None = None) -> str:
        self.robots[token] = Robot(kind, token, secret, keyword)
        return self.url(token)

    def url(self, token: str) -> str:
        base = f"http://{self.host}:{self.port}"
        kind = self.robots[token].kind if token in self.robots else "wecom"
        return {"wecom": f"{base}/cgi-bin/webhook/send?key={token}",
                "dingtalk": f"{base}/robot/send?access_token={token}",
                "feishu": f"{base}/open-apis/bot/v2/hook/{token}"}[kind]

    def fail(self, token: str, fault: str, times: int = 1) -> None:
        self.faults[token].extend([fault] * times)

    def to(self, token: str) -> list[Post]:
        return [p for p in self.posted if p.token == token]

    def reset(self) -> None:
        self.robots.clear()
        self.posted.clear()
        self.requests.clear()
        self.uploads.clear()
        self.faults.clear()

    # --- what each platform does with a request ---------------------------------------------

    def answer(self, path: str, query: dict, headers, body: bytes) -> dict | int | None:
        """The reply's JSON, an HTTP status to answer with, or None to drop the connection."""
        if path == "/cgi-bin/webhook/upload_media":
            return self._upload(query.get("key", [""])[0], headers, body)
        token = (query.get("key") or query.get("access_token") or [path.rsplit("/", 1)[-1]])[0]
        robot = self.robots.get(token)
        kind = robot.kind if robot else ("wecom" if "key" in query else
                                          "dingtalk" if "access_token" in query else "feishu")
        with self.lock:
            fault = self.faults[token].popleft() if self.faults[token] else None
        if fault == "drop":
            self.requests.append((token, "drop"))
            return None
        if fault == "5xx":
            self.requests.append((token, "502"))
            return 502
        reply = (RATE[kind] if fault == "rate" else BUSY[kind] if fault == "busy" else
                 NO_ROBOT[kind] if robot is None else self._check(robot, query, body))
        self.requests.append((token, json.dumps(reply, ensure_ascii=False)))
        return reply

    def _check(self, robot: Robot, query: dict, body: bytes) -> dict:
        message = json.loads(body)
        signed = False
        if robot.secret is not None:
            if robot.kind == "dingtalk":
                stamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
                key, text, scale = robot.secret.encode(), f"{stamp}\n{robot.secret}", 1000
            else:
                stamp, sign = str(message.get("timestamp", "")), message.get("sign", "")
                key, text, scale = f"{stamp}\n{robot.secret}".encode(), "", 1
            expected = base64.b64encode(hmac.new(key, text.encode(), hashlib.sha256).digest())
            fresh = stamp.isdigit() and abs(int(stamp) / scale - time.time()) < 3600
            if not (fresh and hmac.compare_digest(expected.decode(), sign)):
                return BAD_SIGN[robot.kind]
            signed = True
        content = _content(robot.kind, message)
        if robot.keyword is not None and robot.keyword not in content:
            return NO_KEYWORD[robot.kind]
        measured = body if robot.kind == "feishu" else content.encode()
        if len(measured) > LIMITS[robot.kind]:
            return TOO_LONG[robot.kind]
        self.posted.append(Post(robot.kind, robot.token, message, signed))
        return OK[robot.kind]

    def _upload(self, token: str, headers, body: bytes) -> dict:
        if token not in self.robots:
            return NO_ROBOT["wecom"]
        form = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode() + body)
        part = next(form.iter_parts())
        media_id = f"media-{len(self.uploads) + 1}"
        self.uploads[media_id] = (part.get_filename(), part.get_payload(decode=True))
        return {"errcode": 0, "errmsg": "ok", "type": "file", "media_id": media_id,
                "created_at": str(int(time.time()))}


def _content(kind: str, message: dict) -> str:
    """The text a robot checks for its keyword: the markdown, or every text of the card."""
    if kind == "feishu":
        return json.dumps(message.get("card", message.get("content", {})), ensure_ascii=False)
    if message.get("msgtype") == "markdown":
        part = message["markdown"]
        return part.get("title", "") + part.get("text", part.get("content", ""))
    return json.dumps(message, ensure_ascii=False)


def start() -> tuple[ChatServer, ThreadingHTTPServer]:
    server = ChatServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            parts = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            reply = server.answer(parts.path, parse_qs(parts.query), self.headers, body)
            if reply is None:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if isinstance(reply, int):
                data = b"<html><body>502 Bad Gateway</body></html>"
                self.send_response(reply)
                self.send_header("Content-Type", "text/html")
            else:
                data = json.dumps(reply, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer((server.host, 0), Handler)
    server.port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return server, httpd

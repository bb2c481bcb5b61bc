"""Each chat platform's rules, from its own documentation, in one table; and the morning summary
(an edition's chat.json) as that platform's message: WeCom markdown, DingTalk markdown, a Feishu
card.

What came from data (a deal, account, rep or manager's name, a rule's name) is made inert for
every platform the same way: control characters go, line breaks become spaces, the characters
markdown, HTML and mentions are made of become their full-width look-alikes (`@all` cannot
mention anyone, `[x](y)` cannot link, `<font>` or `<at>` cannot open), a web address is broken
where a client would make it a link, and a long value is cut with "…". Links come only from the
settings (`reports_url`). A message over the platform's size limit loses whole lines from its
end, replaced by one line saying how many were left out; sizes are counted in UTF-8 bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

OK, RETRY, FAIL, UNKNOWN = "ok", "retry", "fail", "unknown"
NAME_LIMIT = 60


@dataclass(frozen=True)
class Platform:
    kind: str
    name: str
    code_field: str  # the reply's code, 0 for success ("an HTTP 200 with an error code")
    text_field: str
    limit: int  # bytes of `limit_of`
    limit_of: str
    files: bool  # whether a group robot can send files
    rate: tuple[tuple[int, float], ...]  # at most n messages per so many seconds, per robot
    codes: dict[int, tuple[str, str]]  # code -> (what to do, what it means)
    docs: str


PLATFORMS = {
    "wecom": Platform(
        "wecom", "WeCom (企业微信)", "errcode", "errmsg", 4096, "the markdown content", True,
        ((20, 60.0),), {
            0: (OK, "sent"),
            -1: (RETRY, "the platform is busy"),
            45009: (RETRY, "rate limit: more than 20 messages a minute to this robot"),
            93000: (FAIL, "not a valid webhook address: the robot was removed, or its key is "
                          "wrong"),
            40008: (FAIL, "a message type the robot does not take"),
            40058: (FAIL, "a parameter of the message is not valid"),
            44004: (FAIL, "the message is empty"),
        }, "https://developer.work.weixin.qq.com/document/path/91770"),
    "dingtalk": Platform(
        "dingtalk", "DingTalk (钉钉)", "errcode", "errmsg", 20000, "the markdown text", False,
        ((20, 60.0),), {
            0: (OK, "sent"),
            -1: (RETRY, "the platform is busy"),
            130101: (RETRY, "rate limit: more than 20 messages a minute; the robot is held "
                            "back for 10 minutes"),
            410100: (RETRY, "rate limit: sending too fast"),
            310000: (FAIL, "the robot's security settings refused the message: its keyword "
                           "is not in it (set the target's keyword), the signature does not "
                           "match (the secret, or the server's clock), or this machine's IP "
                           "is not allowed; errmsg says which"),
            300001: (FAIL, "the webhook's access_token is not valid"),
            400101: (FAIL, "the webhook's access_token does not exist"),
            400102: (FAIL, "the robot is switched off"),
            400013: (FAIL, "the group was dissolved"),
            400105: (FAIL, "a message type the robot does not take"),
            430101: (FAIL, "refused: an unsafe link"),
            430102: (FAIL, "refused: text the platform does not allow"),
            430104: (FAIL, "refused: content the platform does not allow"),
        }, "https://open.dingtalk.com/document/orgapp/custom-robot-access"),
    "feishu": Platform(
        "feishu", "Feishu (飞书)", "code", "msg", 20000, "the request body, before signing",
        False, ((100, 60.0), (5, 1.0)), {
            0: (OK, "sent"),
            11232: (RETRY, "rate limit: the robot sends too fast"),
            9499: (FAIL, "bad request: the message's JSON is not one the platform takes"),
            19001: (FAIL, "not a valid webhook address: the robot was removed, or its token "
                          "is wrong"),
            19021: (FAIL, "the signature does not match, or its timestamp is more than an "
                          "hour off: the secret, or the server's clock"),
            19022: (FAIL, "this machine's IP is not allowed by the robot's security settings"),
            19024: (FAIL, "the robot's keyword is not in the message: set the target's "
                          "keyword"),
        }, "https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot"),
}


# --- data made inert ------------------------------------------------------------------------

FULL_WIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "\\`*_~#<>[]|&@!$"})
SCHEME = re.compile(r"(?i)([a-z][a-z0-9+.-]*):(?=//)")
# a dot between a name and what reads as a domain's next label (evil.com, www.x)
DOMAIN_DOT = re.compile(r"(?<=[A-Za-z0-9])\.(?=[A-Za-z]{2,})")


def inert(value: str, limit: int = NAME_LIMIT) -> str:
    """A value from data, as text no platform reads as markup, a mention or a link."""
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else
                   "" if unicodedata.category(c) == "Cf" else c for c in str(value))
    text = re.sub(r"\s+", " ", text).strip()
    text = SCHEME.sub("\\1\u2236", text.translate(FULL_WIDTH))
    text = DOMAIN_DOT.sub("\u2024", text)
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def words(segments: list[list[str]]) -> str:
    """A line of chat.json: its own words as they are, each value from data made inert."""
    return "".join(text if kind == "t" else inert(text) for kind, text in segments)


# --- the summary as each platform's message -------------------------------------------------

@dataclass(frozen=True)
class Summary:
    """chat.json for one target: plain lines, data already inert."""

    title: str
    subtitle: str
    headline: list[dict]
    # (style, text): heading starts a section; sub, item, text, more are its lines
    body: list[tuple[str, str]]
    links: list[tuple[str, str]]  # (label, address) of each report, from the settings
    files: list[str]  # the reports sent after the message, as files
    reports: list[str]  # the reports' names, when neither links nor files
    texts: dict[str, str]


def summary(chat: dict, *, keyword: str = "", links: list[tuple[str, str]] | None = None,
            files: list[str] | None = None) -> Summary:
    title = words(chat["title"])
    if keyword and keyword not in title:
        title = f"{keyword} · {title}"
    body = []
    for section in chat["sections"]:
        body.append(("heading", section["heading"]))
        body += [(line["style"], words(line["segments"])) for line in section["lines"]]
    return Summary(title=title, subtitle=words(chat["subtitle"]), headline=chat["headline"],
                   body=body, links=links or [], files=files or [],
                   reports=[r["label"] for r in chat["reports"]], texts=chat["texts"])


def message(kind: str, chat: dict, **options) -> dict:
    """The platform's request body for the summary, within its size limit."""
    build, size = BUILDERS[kind]
    whole = summary(chat, **options)
    return fit(whole, build, size, PLATFORMS[kind].limit)


def fit(whole: Summary, build: Callable[[Summary], dict], size: Callable[[dict], int],
        limit: int) -> dict:
    """The message with as many of the body's lines as fit, from the top; whole lines left
    out at the end, and a last line counting them."""
    body = whole.body
    for kept in range(len(body), -1, -1):
        lines = body[:kept]
        while lines and lines[-1][0] in ("heading", "sub"):
            lines = lines[:-1]  # a heading without its lines goes too
        left_out = len(body) - len(lines)
        if left_out:
            lines = [*lines, ("more", whole.texts["chat_cut"].format(count=left_out))]
        payload = build(_with_body(whole, lines))
        if size(payload) <= limit:
            return payload
    raise ValueError("the summary's title and numbers alone are over the size limit")


def _with_body(whole: Summary, body: list[tuple[str, str]]) -> Summary:
    return Summary(**{**whole.__dict__, "body": body})


def _footer(s: Summary, link: Callable[[str, str], str]) -> list[str]:
    lines = []
    if s.links:
        lines.append(s.texts["chat_reports_links"] + " "
                     + " · ".join(link(label, url) for label, url in s.links))
    if s.files:
        lines.append(s.texts["chat_reports_files"].format(
            files=s.texts["list_separator"].join(s.files)))
    if not s.links and not s.files:
        lines.append(s.texts["chat_reports_email"].format(
            reports=s.texts["list_separator"].join(s.reports)))
    return lines


def wecom(s: Summary) -> dict:
    """WeCom markdown: headings, bold, links, quotes and <font color> (info, comment,
    warning) only; "\\n" breaks a line."""
    lines = [f"## {s.title}", f'<font color="comment">{s.subtitle}</font>', ""]
    for item in s.headline:
        lines += [f"**{item['label']}** {item['value']}",
                  f'<font color="comment">{item["note"]}</font>']
    for style, text in s.body:
        if style == "heading":
            lines += ["", f"**{text}**"]
        elif style == "item":
            lines.append(f"- {text}")
        elif style == "more":
            lines.append(f'<font color="comment">{text}</font>')
        else:
            lines.append(text)
    lines += ["", *_footer(s, lambda label, url: f"[{label}]({url})")]
    return {"msgtype": "markdown", "markdown": {"content": "\n".join(lines)}}


def dingtalk(s: Summary) -> dict:
    """DingTalk markdown: a title (the notification's text) and the text, in which a blank
    line breaks a paragraph and a list's items follow each other."""
    blocks = [f"#### {s.title}", s.subtitle,
              *(f"**{item['label']}** {item['value']} · {item['note']}" for item in s.headline)]
    for style, text in s.body:
        if style == "heading":
            blocks.append(f"#### {text}")
        elif style == "item" and blocks[-1].startswith("- "):
            blocks[-1] += f"\n- {text}"
        elif style == "item":
            blocks.append(f"- {text}")
        else:
            blocks.append(text)
    blocks += _footer(s, lambda label, url: f"[{label}]({url})")
    return {"msgtype": "markdown", "markdown": {"title": s.title, "text": "\n\n".join(blocks)}}


def feishu(s: Summary) -> dict:
    """A Feishu message card: the title in its header, the three numbers side by side, a
    block of lark_md per section, the footer, and the as-of line as a note."""
    def md(content: str) -> dict:
        return {"tag": "div", "text": {"tag": "lark_md", "content": content}}

    elements = [{"tag": "div", "fields": [
        {"is_short": True, "text": {"tag": "lark_md", "content":
                                    f"**{item['label']}**\n{item['value']}\n{item['note']}"}}
        for item in s.headline]}, {"tag": "hr"}]
    section: list[str] = []
    for style, text in [*s.body, ("heading", "")]:
        if style == "heading":
            if section:
                elements.append(md("\n".join(section)))
            section = [f"**{text}**"]
        else:
            section.append(f"- {text}" if style == "item" else text)
    elements += [{"tag": "hr"},
                 *(md(line) for line in _footer(s, lambda label, url: f"[{label}]({url})")),
                 {"tag": "note", "elements": [{"tag": "plain_text", "content": s.subtitle}]}]
    return {"msg_type": "interactive", "card": {
        "config": {"wide_screen_mode": True},
        "header": {"template": "blue", "title": {"tag": "plain_text", "content": s.title}},
        "elements": elements}}


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


BUILDERS: dict[str, tuple[Callable[[Summary], dict], Callable[[dict], int]]] = {
    "wecom": (wecom, lambda p: _bytes(p["markdown"]["content"])),
    "dingtalk": (dingtalk, lambda p: _bytes(p["markdown"]["text"])),
    "feishu": (feishu, lambda p: _bytes(json.dumps(p, ensure_ascii=False))),
}


def file_message(media_id: str) -> dict:
    """WeCom: a file uploaded to the robot (upload_media), sent to the group."""
    return {"msgtype": "file", "file": {"media_id": media_id}}


def upload_address(url: str) -> str:
    """WeCom's upload_media address beside a robot's send address (the same key)."""
    base, _, query = url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/upload_media?{query}&type=file"


# --- signatures and replies -------------------------------------------------------------------

def sign(kind: str, url: str, body: dict, secret: str | None, now: float) -> tuple[str, dict]:
    """The request as the robot's signature check wants it. DingTalk: timestamp (ms) and sign,
    HMAC-SHA256 keyed by the secret over "timestamp\\nsecret", Base64, in the query. Feishu:
    timestamp (s) and sign, HMAC-SHA256 keyed by "timestamp\\nsecret" over nothing, Base64,
    in the body. Both refuse a timestamp more than an hour off."""
    if not secret:
        return url, body
    if kind == "dingtalk":
        stamp = str(int(now * 1000))
        digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256)
        query = urlencode({"timestamp": stamp, "sign": base64.b64encode(digest.digest())})
        return f"{url}{'&' if '?' in url else '?'}{query}", body
    if kind == "feishu":
        stamp = str(int(now))
        digest = hmac.new(f"{stamp}\n{secret}".encode(), b"", hashlib.sha256)
        return url, {"timestamp": stamp, "sign": base64.b64encode(digest.digest()).decode(),
                     **body}
    return url, body


def outcome(kind: str, status: int, data: bytes) -> tuple[str, str]:
    """What a reply means: OK, RETRY (a retry can pass), FAIL (it cannot) or UNKNOWN (the
    message may have arrived), and a line saying why. An HTTP 200 whose code is not 0 is a
    failure; a code the table does not know is not retried."""
    if status == 429 or 500 <= status < 600:
        return RETRY, f"HTTP {status}"
    if not 200 <= status < 300:
        return FAIL, f"HTTP {status}"
    platform = PLATFORMS[kind]
    try:
        reply = json.loads(data)
    except ValueError:
        return UNKNOWN, f"HTTP {status} with a reply that is not JSON"
    code = reply.get(platform.code_field, reply.get("StatusCode")) \
        if isinstance(reply, dict) else None
    if not isinstance(code, int):
        return UNKNOWN, f"HTTP {status} with no {platform.code_field} in the reply"
    said = reply.get(platform.text_field) or reply.get("StatusMessage") or ""
    what, meaning = platform.codes.get(code, (FAIL, "a code this product does not know"))
    return what, f"{platform.code_field} {code} ({said}): {meaning}"

"""PNG pictures of a run's reports for the docs: the first page of each PDF, the email as a
mail client shows it, and the message each chat platform's group robot posts (drawn here
from the very request body the robot gets, in the platform's colours: a preview, not the
app itself). `make screenshots` runs it on the sample's run.

    python -m pipeline.tools.screenshots --run out/reports/2026-11-20 --to docs/screenshots
    python -m pipeline.tools.screenshots --run out/reports/2026-11-20 --chat wecom=company
"""

from __future__ import annotations

import argparse
import html
import json
import re
from pathlib import Path

import pypdfium2
from PIL import Image, ImageChops

from pipeline.delivery import platforms
from pipeline.delivery.messages import attachment_name
from pipeline.delivery.recipients import CHAT_FILE
from pipeline.report.contexts import REPORTS
from pipeline.report.fonts import font_path

EMAIL_PAGE = "@page { size: 640px 3000px; margin: 0; } body { margin: 0; }"


def take(run: Path, to: Path, editions: list[str],
         chats: list[tuple[str, str]] = ()) -> list[Path]:
    """The pictures of each edition's reports and email, and of each (platform, edition)'s
    chat message."""
    to.mkdir(parents=True, exist_ok=True)
    written = []
    for folder in editions:
        name = folder.replace("/", "-")
        for report in REPORTS:
            written.append(_first_page(run / folder / f"{report}.pdf",
                                       to / f"{name}-{report}.png"))
        written.append(_email(run / folder, to / f"{name}-email.png"))
    for kind, folder in chats:
        written.append(_chat(kind, run / folder, to / f"chat-{kind}.png"))
    return written


def _first_page(pdf: Path, png: Path, scale: float = 1.25) -> Path:
    document = pypdfium2.PdfDocument(pdf)
    document[0].render(scale=scale).to_pil().convert("RGB").save(png, optimize=True)
    document.close()
    return png


def _email(folder: Path, png: Path) -> Path:
    """The email body with its Content-ID images swapped for the files they are made from,
    set on one tall page, cropped to its content."""
    spec = json.loads((folder / "email.json").read_text(encoding="utf-8"))
    html = (folder / spec["html"]).read_text(encoding="utf-8")
    for image in spec["inline"]:
        html = html.replace(f"cid:{image['cid']}", image["file"])
    html = re.sub(r"</head>", f"<style>{EMAIL_PAGE}</style></head>", html, count=1)
    return _picture(html, folder, png)


def _picture(html: str, folder: Path, png: Path, scale: float = 1.0) -> Path:
    """A page of HTML as PNG, cropped below its content."""
    pdf = png.with_suffix(".pdf")
    _print_email(html, folder, pdf)
    page = pypdfium2.PdfDocument(pdf)[0].render(scale=scale).to_pil().convert("RGB")
    pdf.unlink()
    background = Image.new("RGB", page.size, page.getpixel((page.width - 1, page.height - 1)))
    box = ImageChops.difference(page, background).getbbox()
    if box:
        page = page.crop((0, 0, page.width, min(page.height, box[3] + 16)))
    page.save(png, optimize=True)
    return png


# --- a group robot's message, as its app shows it (near enough) ----------------------------

CHAT_APPS = {"wecom": ("企业微信 WeCom", "#07c160"), "dingtalk": ("钉钉 DingTalk", "#3296fa"),
             "feishu": ("飞书 Feishu", "#3370ff")}
CHAT_STYLE = """
@page { size: 460px 3000px; margin: 0; }
body { margin: 0; background: #f2f3f5; font-family: "Noto Sans SC", sans-serif;
       font-size: 13px; line-height: 20px; color: #1f2329; }
.chat { padding: 14px; } .who { margin: 0 0 4px 46px; font-size: 11px; color: #8f959e; }
td { vertical-align: top; } .avatar { width: 34px; height: 34px; border-radius: 6px;
color: #fff; text-align: center; line-height: 34px; font-size: 15px; margin-right: 6px; }
.file { color: #1f2329; } .file b { color: #fff; background: #e5484d; border-radius: 3px;
padding: 0 4px; font-size: 10px; margin-right: 6px; }
.bubble { background: #fff; border-radius: 8px; padding: 10px 12px; width: 366px; }
.card { background: #fff; border-radius: 8px; width: 390px; overflow: hidden; }
.card .head { color: #fff; padding: 10px 12px; font-weight: bold; font-size: 14px; }
.card .body { padding: 4px 12px 10px 12px; }
h3, h4 { margin: 4px 0; font-size: 15px; } p { margin: 2px 0; } ul { margin: 2px 0;
padding-left: 16px; } .gap { height: 8px; } hr { border: 0; border-top: 1px solid #dee0e3; }
.comment { color: #8f959e; } .info { color: #2ba245; } .warning { color: #ff7800; }
a { color: #3370ff; text-decoration: none; } .note { color: #8f959e; font-size: 11px; }
table.fields td { vertical-align: top; padding: 4px 8px 4px 0; width: 33%; }
"""


def _chat(kind: str, edition: Path, png: Path) -> Path:
    """The message `kind`'s robot posts for the edition, drawn as its app shows it."""
    chat = json.loads((edition / CHAT_FILE).read_text(encoding="utf-8"))
    files = [attachment_name(r["file"], chat["as_of"]) for r in chat["reports"]] \
        if platforms.PLATFORMS[kind].files else []
    body = platforms.message(kind, chat, files=files)
    app, colour = CHAT_APPS[kind]
    if kind == "feishu":
        card = body["card"]
        inner = (f'<div class="card"><div class="head" style="background:{colour}">'
                 f'{html.escape(card["header"]["title"]["content"])}</div><div class="body">'
                 + "".join(_element(e) for e in card["elements"]) + "</div></div>")
    else:
        text = body["markdown"].get("content") or body["markdown"]["text"]
        inner = f'<div class="bubble">{_markdown(text)}</div>'
        inner += "".join(f'<div class="bubble file" style="margin-top:6px"><b>PDF</b>{f}</div>'
                         for f in files)
    page = (f"<html><head><meta charset='utf-8'><style>{CHAT_STYLE}</style></head><body>"
            f'<div class="chat"><p class="who">{app} · 销售日报机器人</p><table><tr>'
            f'<td><div class="avatar" style="background:{colour}">R</div></td><td>{inner}</td>'
            "</tr></table></div></body></html>")
    return _picture(page, edition, png, scale=1.5)


def _markdown(text: str) -> str:
    """The markdown the robots are sent (headings, bold, lists, links, <font color>), as
    HTML; everything else is text."""
    out, items = [], []
    for line in text.split("\n") + [""]:
        h = html.escape(line, quote=False)
        h = re.sub(r'&lt;font color="(\w+)"&gt;(.*?)&lt;/font&gt;', r'<span class="\1">\2</span>',
                   h)
        h = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", h)
        h = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', h)
        if h.startswith("- "):
            items.append(f"<li>{h[2:]}</li>")
            continue
        if items:
            out.append(f"<ul>{''.join(items)}</ul>")
            items = []
        if h.startswith("#"):
            out.append(f"<h4>{h.lstrip('#').strip()}</h4>")
        elif h:
            out.append(f"<p>{h}</p>")
        elif out and out[-1] != '<div class="gap"></div>':
            out.append('<div class="gap"></div>')
    return "".join(out)


def _element(element: dict) -> str:
    """One element of a Feishu card."""
    if element["tag"] == "hr":
        return "<hr>"
    if element["tag"] == "note":
        return "".join(f'<p class="note">{html.escape(e["content"])}</p>'
                       for e in element["elements"])
    if "fields" in element:
        return '<table class="fields"><tr>' + "".join(
            f"<td>{_markdown(f['text']['content'])}</td>" for f in element["fields"]) \
            + "</tr></table>"
    return _markdown(element["text"]["content"])


def _print_email(html: str, folder: Path, pdf: Path) -> None:
    """The email through a browser-like engine (WeasyPrint, a docs extra), as mail clients
    lay out HTML, which the reports' Typst PDFs are not."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    face = CSS(string=f'@font-face {{ font-family: "Noto Sans SC"; '
                      f'src: url("{font_path().as_uri()}"); }}', font_config=fonts)
    HTML(string=html, base_url=str(folder) + "/").write_pdf(pdf, stylesheets=[face],
                                                            font_config=fonts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="out/reports/<as-of>")
    parser.add_argument("--to", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--edition", action="append", dest="editions",
                        help="edition folders to picture (default: company, unless --chat "
                             "is given)")
    parser.add_argument("--chat", action="append", default=[], metavar="KIND=EDITION",
                        help="picture the message KIND's robot (wecom, dingtalk, feishu) "
                             "posts for EDITION, as chat-KIND.png")
    args = parser.parse_args(argv)
    chats = [tuple(c.split("=", 1)) for c in args.chat]
    editions = args.editions if args.editions is not None else [] if chats else ["company"]
    for path in take(args.run, args.to, editions, chats):
        print(path)


if __name__ == "__main__":
    main()

"""A report's HTML -> Typst markup, for the PDF (pipeline/report/pdf.py).

The reports are written once, as HTML (reports/templates/); their PDF is typeset from that
HTML. The templates use a small set of elements, and this module knows each of them: an
element it does not know stops the report loudly rather than going missing from the PDF. Every
text of the HTML becomes a Typst string literal, so no value in a report can be read as markup;
the styles live in reports/templates/report.typ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser

from pipeline.errors import PipelineError
from pipeline.paths import TEMPLATES_DIR

PREAMBLE = TEMPLATES_DIR / "report.typ"
VOID = {"meta", "img", "br", "link"}
# <nav>: links to the report's other files (its PDF, its spreadsheet), nothing to print
SKIPPED = {"head", "style", "script", "title", "nav"}
BLOCK_CLASSES = {"scope": "scope-line", "meta": "meta-line", "empty": "empty", "note": "note"}
LANGUAGES = {"zh-CN": ("zh", "cn"), "en": ("en", None)}


class UnknownElement(PipelineError):
    """The HTML holds an element the PDF has no form for."""


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def elements(self, tag: str | None = None) -> list[Element]:
        return [c for c in self.children if isinstance(c, Element) and tag in (None, c.tag)]

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def find(element: Element, tag: str) -> Element | None:
    return next(iter(_all(element, tag)), None)


def string(text: str) -> str:
    """A Typst string literal: the text, and nothing in it markup."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{{{ord(m.group()):x}}}", escaped)
    return f'"{escaped}"'


def plain(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def to_typst(html: str) -> str:
    """The whole Typst document of a report's HTML: the styles, then the body."""
    document = parse(html)
    root = find(document, "html") or document
    body = find(root, "body")
    if body is None:
        raise UnknownElement("the report's HTML has no <body>")
    language, region = LANGUAGES.get(root.attrs.get("lang", "en"), ("en", None))
    meta = {m.attrs.get("name"): m.attrs.get("content", "") for m in _all(root, "meta")}
    title = find(body, "h1")
    meta_line = next((p for p in _all(body, "p") if "meta" in p.classes), None)
    page_of = [part for part in re.split(r"(\{page\}|\{pages\})",
                                         meta.get("page-label", "{page} / {pages}")) if part]
    settings = ", ".join([
        f"title: {string(plain(title.text()) if title else '')}",
        f"meta: {string(plain(meta_line.text()) if meta_line else '')}",
        f"page-of: ({''.join(string(p) + ', ' for p in page_of)})",
        f"lang: {string(language)}",
        f"region: {string(region) if region else 'none'}",
    ])
    return (_preamble() + f"\n#show: report.with({settings})\n\n" + blocks(body))


@cache
def _preamble() -> str:
    return PREAMBLE.read_text(encoding="utf-8")


def _all(element: Element, tag: str) -> list[Element]:
    found = []
    for child in element.elements():
        if child.tag == tag:
            found.append(child)
        found.extend(_all(child, tag))
    return found


# --- blocks ------------------------------------------------------------------------------

def blocks(element: Element) -> str:
    """The children of a block container, each a paragraph or a block of its own."""
    out, run = [], []
    for child in element.children:
        if isinstance(child, Element) and child.tag in BLOCK_TAGS:
            if run:
                out.append(_paragraph(run))
                run = []
            out.append(BLOCK_TAGS[child.tag](child))
        elif isinstance(child, Element) and child.tag in SKIPPED:
            continue
        else:
            run.append(child)
    if run:
        out.append(_paragraph(run))
    return "".join(part for part in out if part)


def _paragraph(nodes: list) -> str:
    text = inline_nodes(nodes)
    return f"#par[{text}]\n\n" if text else ""


def _container(element: Element) -> str:
    if "summary" in element.classes:
        return f"#summary[\n{blocks(element)}]\n\n"
    return blocks(element)


def _heading(element: Element) -> str:
    level = int(element.tag[1])
    return f"#heading(level: {level})[{inline(element)}]\n\n"


def _p(element: Element) -> str:
    function = next((BLOCK_CLASSES[c] for c in sorted(element.classes) if c in BLOCK_CLASSES),
                    "par")
    return f"#{function}[{inline(element)}]\n\n"


def _chart(element: Element) -> str:
    images = _all(element, "img") if element.tag != "img" else [element]
    return "".join(_image(img) for img in images)


def _image(img: Element) -> str:
    source = img.attrs.get("src", "")
    if not re.fullmatch(r"[\w.-]+(/[\w.-]+)*", source) or ".." in source.split("/"):
        raise UnknownElement(f"an image the PDF will not fetch: {source!r} "
                             "(only files beside the report)")
    return f"#chart({string(source)}, {string(img.attrs.get('alt', ''))})\n\n"


def _list(element: Element) -> str:
    items = "".join(f"[{inline(item)}], " for item in element.elements("li"))
    return f"#list({items})\n\n"


def _table(element: Element) -> str:
    head = find(element, "thead")
    header_rows = _all(head, "tr") if head is not None else []
    bodies = element.elements("tbody") or [element]
    rows = [row for body in bodies for row in body.elements("tr")]
    if not header_rows and rows:
        header_rows, rows = rows[:1], rows[1:]
    header = _cells(header_rows[0]) if header_rows else []
    numeric = ["n" in cell.classes for cell in header]
    cells = [[_cell(cell) for cell in _cells(row)] for row in rows]
    width = max([len(header)] + [len(row) for row in cells])
    numeric += [False] * (width - len(numeric))
    body = [f"({', '.join(row + ['[]'] * (width - len(row)))},)" for row in cells]
    totals = [str(i) for i, row in enumerate(rows) if "total" in row.classes]
    return ("#data-table(numeric: (" + "".join(f"{str(n).lower()}, " for n in numeric)
            + "), totals: (" + "".join(f"{t}, " for t in totals)
            + "), header: (" + "".join(f"{_cell(cell)}, " for cell in header)
            + "), rows: (\n" + "".join(f"  {row},\n" for row in body) + "))\n\n")


def _cells(row: Element) -> list[Element]:
    cells = [cell for cell in row.elements() if cell.tag in ("td", "th")]
    if any("colspan" in cell.attrs or "rowspan" in cell.attrs for cell in cells):
        raise UnknownElement("a table cell spanning rows or columns has no PDF form yet")
    return cells


def _cell(cell: Element) -> str:
    content = f"[{inline(cell)}]"
    return f"late({content})" if "behind" in cell.classes else content


BLOCK_TAGS = {"header": _container, "section": _container, "div": _container,
              "main": _container, "footer": _container, "article": _container,
              "h1": _heading, "h2": _heading, "h3": _heading, "h4": _heading,
              "p": _p, "table": _table, "ul": _list, "ol": _list, "img": _chart}


# --- inline ------------------------------------------------------------------------------

def inline(element: Element) -> str:
    return inline_nodes(element.children)


def inline_nodes(nodes: list) -> str:
    """Inline content as one line of markup: texts as string literals, whitespace collapsed
    as a browser does, none at the ends."""
    pieces = _pieces(nodes)
    text = []
    for kind, value in pieces:
        text.append(value if kind == "markup" else f"#{string(value)};")
    return "".join(text)


def _pieces(nodes: list) -> list[tuple[str, str]]:
    raw: list[tuple[str, str]] = []
    for node in nodes:
        if isinstance(node, str):
            raw.append(("text", node))
        elif node.tag in INLINE_TAGS:
            raw.extend(INLINE_TAGS[node.tag](node))
        elif node.tag in SKIPPED:
            continue
        else:
            raise UnknownElement(f"<{node.tag}> has no form in the PDF")
    pieces, space = [], False
    for kind, value in raw:
        if kind == "markup":
            if space and pieces:
                pieces.append(("text", " "))
            space = False
            pieces.append((kind, value))
            continue
        collapsed = re.sub(r"\s+", " ", value)
        if not collapsed.strip():
            space = space or bool(collapsed)
            continue
        lead = collapsed.startswith(" ") or space
        body = collapsed.strip()
        if lead and pieces:
            body = " " + body
        pieces.append(("text", body))
        space = collapsed.endswith(" ")
    return pieces


def _wrapped(function: str):
    def wrap(element: Element) -> list[tuple[str, str]]:
        return [("markup", f"#{function}[{inline(element)}]")]
    return wrap


def _transparent(element: Element) -> list[tuple[str, str]]:
    return [("markup", inline(element))] if element.children else []


INLINE_TAGS = {"strong": _wrapped("strong"), "b": _wrapped("strong"), "small": _wrapped("small"),
               "em": _wrapped("emph"), "i": _wrapped("emph"), "span": _transparent,
               "a": _transparent, "abbr": _transparent,
               "br": lambda element: [("markup", "#linebreak()")]}

"""PNG pictures of a run's reports for the docs: the first page of each PDF and the email
as a mail client shows it. `make screenshots` runs it on the sample's run.

    python -m pipeline.tools.screenshots --run out/reports/2026-11-20 --to docs/screenshots
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pypdfium2
from PIL import Image, ImageChops

from pipeline.report.contexts import REPORTS
from pipeline.report.fonts import font_path

EMAIL_PAGE = "@page { size: 640px 3000px; margin: 0; } body { margin: 0; }"


def take(run: Path, to: Path, editions: list[str]) -> list[Path]:
    to.mkdir(parents=True, exist_ok=True)
    written = []
    for folder in editions:
        name = folder.replace("/", "-")
        for report in REPORTS:
            written.append(_first_page(run / folder / f"{report}.pdf",
                                       to / f"{name}-{report}.png"))
        written.append(_email(run / folder, to / f"{name}-email.png"))
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
    pdf = png.with_suffix(".pdf")
    _print_email(html, folder, pdf)
    page = pypdfium2.PdfDocument(pdf)[0].render(scale=1.0).to_pil().convert("RGB")
    pdf.unlink()
    background = Image.new("RGB", page.size, page.getpixel((page.width - 1, page.height - 1)))
    box = ImageChops.difference(page, background).getbbox()
    if box:
        page = page.crop((0, 0, page.width, min(page.height, box[3] + 16)))
    page.save(png, optimize=True)
    return png


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
                        help="edition folders to picture (default: company)")
    args = parser.parse_args(argv)
    for path in take(args.run, args.to, args.editions or ["company"]):
        print(path)


if __name__ == "__main__":
    main()

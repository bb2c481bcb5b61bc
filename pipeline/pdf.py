"""HTML -> PDF with WeasyPrint: the run's font, only the project's own files fetched, the
same bytes for the same inputs."""

from __future__ import annotations

import logging
import os
import warnings
from datetime import UTC, date, datetime, time
from pathlib import Path

from pipeline.fonts import FAMILY
from pipeline.paths import ASSETS_DIR, TEMPLATES_DIR

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher


class _KnownFontNotice(logging.Filter):
    """WeasyPrint warns, once per PDF, that it subsets with fontTools: this machine has no
    HarfBuzz-Subset, and pipeline.fonts makes the fontTools way fast. Not news to ops."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Using fontTools instead of HarfBuzz")


logging.getLogger("weasyprint").addFilter(_KnownFontNotice())


class ProjectFilesOnly(URLFetcher):
    """Fetches file: URLs inside the allowed folders; refuses every other URL."""

    def __init__(self, allowed: list[Path]) -> None:
        super().__init__(allowed_protocols=["file"])
        self.allowed = [folder.resolve() for folder in allowed]
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        path = Path(url.removeprefix("file://").split("?")[0]).resolve() \
            if url.startswith("file://") else None
        if path is None or not any(path.is_relative_to(folder) for folder in self.allowed):
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url!r}: not one of the project's own files")
        return super().fetch(url, headers)


def epoch(day: date) -> int:
    """The as-of date as SOURCE_DATE_EPOCH: the PDFs' dates, so reruns give the same bytes."""
    return int(datetime.combine(day, time(0), tzinfo=UTC).timestamp())


def write_pdf(html: str, target: Path, font: Path, source_date_epoch: int) -> list[str]:
    """One PDF, set in the run's font, fetching nothing but the project's own files and
    the charts written beside the report.

    fontTools stamps the fonts it writes with SOURCE_DATE_EPOCH when set: pinning it to the
    as-of date makes the same inputs give the same bytes.
    """
    os.environ["SOURCE_DATE_EPOCH"] = str(source_date_epoch)
    fetcher = ProjectFilesOnly([TEMPLATES_DIR, ASSETS_DIR, font.parent, target.parent / "charts"])
    font_config = FontConfiguration()
    font_face = CSS(string=f'@font-face {{ font-family: "{FAMILY}"; '
                           f'src: url("{font.as_uri()}"); }}',
                    font_config=font_config, url_fetcher=fetcher)
    HTML(string=html, base_url=str(target.parent) + "/", url_fetcher=fetcher).write_pdf(
        target, stylesheets=[font_face], font_config=font_config)
    return fetcher.refused

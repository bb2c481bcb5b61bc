"""What every report context is made of: scopes, charts, and mart rows for the templates."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline import charts
from pipeline.i18n import EMPTY, Locale


@dataclass(frozen=True)
class Scope:
    """Whose records a report covers: a manager's subtree, or the company."""

    scope_id: str
    name: str
    folder: str


@dataclass(frozen=True)
class Chart:
    """A chart of a report, written beside it as `file` (SVG)."""

    file: str
    title: str
    svg: str


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows for the templates, with every missing value as None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def one(frame: pd.DataFrame) -> dict:
    rows = records(frame)
    return rows[0] if rows else {}


def of_scope(frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    return frame[frame["scope_id"] == scope.scope_id]


def vector(report: str, name: str, title: str, figure) -> Chart:
    return Chart(f"charts/{report}-{name}.svg", title, charts.svg(figure))


def sentence(locale: Locale, key: str, **values: str) -> str | None:
    """A sentence of a summary from formatted values; None when one of them is missing."""
    if any(value is None or value == EMPTY for value in values.values()):
        return None
    return locale.text(key, **values)

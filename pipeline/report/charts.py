"""Charts drawn with matplotlib. Each function returns a figure; `svg` makes it vector SVG
with text as paths, the same bytes every run, which the HTML shows, the PDF embeds and the
email gets as a bitmap (pipeline/report/pdf.py `png`)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import Formatter, PercentFormatter  # noqa: E402

from pipeline.report.fonts import use_in_matplotlib  # noqa: E402
from pipeline.report.i18n import amount_unit, short_amount  # noqa: E402

INK, BAR, TARGET, MUTED, GOOD = "#1f2933", "#3e7cb1", "#d9822b", "#9aa5b1", "#2f9e44"
WIDTH = 7.0


class AmountFormatter(Formatter):
    """Amount ticks in the reader's units (万 and 亿, or K, M and B), one unit for the whole
    axis, chosen by its largest tick."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.unit: tuple[int, str] | None = None

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        self.unit = amount_unit(locs, self.language)

    def __call__(self, value, pos=None) -> str:
        return short_amount(value, self.language, self.unit)


def _figure(height: float):
    use_in_matplotlib()
    figure, axes = pyplot.subplots(figsize=(WIDTH, height))
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(colors=INK, labelsize=8)
    return figure, axes


def svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    pyplot.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def attainment_chart(names: list[str], rates: list[float], *, title: str, axis: str) -> Figure:
    """Horizontal bars of attainment per rep, with the 100% line."""
    figure, axes = _figure(0.35 * len(names) + 1.0)
    positions = range(len(names))
    colors = [GOOD if rate >= 1 else BAR for rate in rates]
    axes.barh(list(positions), [r * 100 for r in rates], color=colors, height=0.6)
    axes.set_yticks(list(positions), names)
    axes.invert_yaxis()
    axes.axvline(100, color=TARGET, linewidth=1.2, linestyle="--")
    axes.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    axes.set_xlabel(axis, fontsize=8, color=INK)
    axes.set_title(title, fontsize=10, color=INK, loc="left")
    return figure


def trend_chart(months: list[str], won: list[float], target: list[float | None], *,
                title: str, axis: str, language: str) -> Figure:
    """Bars of won amount per month, target per month as a line of markers."""
    figure, axes = _figure(2.6)
    positions = list(range(len(months)))
    axes.bar(positions, won, color=BAR, width=0.6, label=None)
    target_points = [(p, t) for p, t in zip(positions, target, strict=True) if t is not None]
    if target_points:
        xs, ys = zip(*target_points, strict=True)
        axes.plot(xs, ys, color=TARGET, marker="_", markersize=18, linestyle="none")
    axes.set_xticks(positions, months, rotation=45, ha="right")
    axes.yaxis.set_major_formatter(AmountFormatter(language))
    axes.set_ylabel(axis, fontsize=8, color=INK)
    axes.set_title(title, fontsize=10, color=INK, loc="left")
    return figure


def funnel_chart(stages: list[str], reached: list[int], *, title: str, axis: str) -> Figure:
    """Horizontal bars, widest at the top: deals reaching each stage."""
    figure, axes = _figure(0.4 * len(stages) + 1.0)
    positions = list(range(len(stages)))
    axes.barh(positions, reached, color=BAR, height=0.65)
    for position, value in zip(positions, reached, strict=True):
        axes.text(value, position, f" {value:,}", va="center", fontsize=8, color=INK)
    axes.set_yticks(positions, stages)
    axes.invert_yaxis()
    axes.set_xlabel(axis, fontsize=8, color=INK)
    axes.set_title(title, fontsize=10, color=INK, loc="left")
    return figure


def waterfall_chart(labels: list[str], opening: float, changes: list[float], closing: float,
                    *, title: str, axis: str, language: str) -> Figure:
    """Opening bar, a floating bar per movement (up green, down orange), closing bar."""
    figure, axes = _figure(2.8)
    positions = list(range(len(changes) + 2))
    axes.bar(0, opening, color=MUTED, width=0.6)
    level = opening
    for position, change in zip(positions[1:-1], changes, strict=True):
        bottom = level if change >= 0 else level + change
        axes.bar(position, abs(change), bottom=bottom, width=0.6,
                 color=GOOD if change >= 0 else TARGET)
        level += change
    axes.bar(positions[-1], closing, color=BAR, width=0.6)
    axes.set_xticks(positions, labels, rotation=30, ha="right")
    axes.yaxis.set_major_formatter(AmountFormatter(language))
    axes.set_ylabel(axis, fontsize=8, color=INK)
    axes.set_title(title, fontsize=10, color=INK, loc="left")
    return figure


def forecast_chart(labels: list[str], amounts: list[float], target: float | None, *,
                   title: str, axis: str, language: str) -> Figure:
    """Cumulative forecast categories as bars, the quarter's target as a line."""
    figure, axes = _figure(2.2)
    positions = list(range(len(amounts)))
    axes.barh(positions, amounts, color=[GOOD, BAR, BAR, MUTED][:len(amounts)], height=0.6)
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    if target:
        axes.axvline(target, color=TARGET, linewidth=1.2, linestyle="--")
    axes.xaxis.set_major_formatter(AmountFormatter(language))
    axes.set_xlabel(axis, fontsize=8, color=INK)
    axes.set_title(title, fontsize=10, color=INK, loc="left")
    return figure


def score_trend_chart(dates: list[str], scores: list[float], *, title: str,
                      axis: str) -> Figure:
    """A team's compliance score, run after run (0-100)."""
    figure, axes = _figure(2.2)
    positions = list(range(len(dates)))
    axes.plot(positions, scores, color=BAR, marker="o", markersize=4)
    for position, score in zip(positions, scores, strict=True):
        axes.annotate(f"{score:.0f}", (position, score), textcoords="offset points",
                      xytext=(0, 6), ha="center", fontsize=7, color=INK)
    axes.set_ylim(0, 105)
    axes.set_xticks(positions, dates, rotation=30, ha="right")
    axes.set_ylabel(axis, fontsize=8, color=INK)
    axes.set_title(title, fontsize=10, color=INK, loc="left")
    return figure


def pareto_chart(reasons: list[str], amounts: list[float], cumulative: list[float], *,
                 title: str, axis: str, share_axis: str, language: str) -> Figure:
    """Lost amount per loss reason, largest first, and the cumulative share as a line."""
    figure, axes = _figure(2.6)
    positions = list(range(len(reasons)))
    axes.bar(positions, amounts, color=TARGET, width=0.6)
    axes.set_xticks(positions, reasons, rotation=30, ha="right")
    axes.yaxis.set_major_formatter(AmountFormatter(language))
    axes.set_ylabel(axis, fontsize=8, color=INK)
    share = axes.twinx()
    share.plot(positions, [c * 100 for c in cumulative], color=INK, marker="o", markersize=3)
    share.axhline(80, color=MUTED, linewidth=0.8, linestyle=":")
    share.set_ylim(0, 105)
    share.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    share.tick_params(colors=INK, labelsize=8)
    share.spines["top"].set_visible(False)
    share.set_ylabel(share_axis, fontsize=8, color=INK)
    axes.set_title(title, fontsize=10, color=INK, loc="left")
    return figure

"""Amounts on chart axes: 万 and 亿 for Chinese readers, K, M and B for English ones, one unit
per axis. The SVGs draw text as paths, so the labels are read where they are handed to
matplotlib, not from the SVG."""

from __future__ import annotations

import pytest
from matplotlib import pyplot

from pipeline.report import charts
from pipeline.report.charts import AmountFormatter
from pipeline.report.i18n import short_amount


@pytest.mark.parametrize("value, zh, en", [
    (0, "0", "0"),
    (9_999, "9,999", "10K"),
    (12_000, "1.2万", "12K"),
    (12_346, "1.23万", "12.35K"),
    (1.5e8, "1.5亿", "150M"),
    (2e9, "20亿", "2B"),
    (-12_000, "-1.2万", "-12K"),
    (-3.5e8, "-3.5亿", "-350M"),
    (999, "999", "999"),
    (1.23456e12, "12,345.6亿", "1,234.56B"),
])
def test_an_amount_in_the_largest_unit_that_fits_it(value, zh, en):
    assert short_amount(value, "zh_CN") == zh
    assert short_amount(value, "en") == en


@pytest.mark.parametrize("ticks, zh, en", [
    ([0, 2_500, 5_000, 7_500, 10_000], ["0", "0.25万", "0.5万", "0.75万", "1万"],
     ["0", "2.5K", "5K", "7.5K", "10K"]),
    ([0, 2_000, 4_000, 6_000, 8_000], ["0", "2,000", "4,000", "6,000", "8,000"],
     ["0", "2K", "4K", "6K", "8K"]),
    ([-5e7, 0, 5e7, 1e8, 1.5e8], ["-0.5亿", "0", "0.5亿", "1亿", "1.5亿"],
     ["-50M", "0", "50M", "100M", "150M"]),
])
def test_one_unit_for_every_tick_of_an_axis(ticks, zh, en):
    assert AmountFormatter("zh_CN").format_ticks(ticks) == zh
    assert AmountFormatter("en").format_ticks(ticks) == en


def tick_labels(figure, axis: str = "y") -> list[str]:
    figure.canvas.draw()
    axes = figure.axes[0]
    labels = axes.get_yticklabels() if axis == "y" else axes.get_xticklabels()
    texts = [label.get_text() for label in labels]
    pyplot.close(figure)
    return texts


def test_a_chinese_chart_hands_matplotlib_amounts_in_wan_and_yi():
    trend = charts.trend_chart(["2026-01", "2026-02"], [1.2e8, 3.5e8], [2e8, None],
                               title="赢单金额", axis="金额", language="zh_CN")
    labels = tick_labels(trend)
    assert labels[0] == "0" and all(label.endswith("亿") for label in labels[1:])
    assert "1亿" in labels
    pareto = charts.pareto_chart(["价格太高", "预算不足"], [60_000, 25_000], [0.7, 1.0],
                                 title="输单原因", axis="金额", share_axis="累计",
                                 language="zh_CN")
    labels = tick_labels(pareto)
    assert labels[0] == "0" and all(label.endswith("万") for label in labels[1:])
    assert not any("M" in label for label in labels)
    forecast = charts.forecast_chart(["赢单", "承诺"], [3e6, 5e6], 6e6, title="预测",
                                     axis="金额", language="zh_CN")
    assert "500万" in tick_labels(forecast, "x")


def test_an_english_chart_keeps_thousands_millions_and_billions():
    waterfall = charts.waterfall_chart(["Opening", "Won", "Closing"], 4e6, [-1e6], 3e6,
                                       title="Pipeline", axis="Amount", language="en")
    labels = tick_labels(waterfall)
    assert labels[0] == "0" and all(label.endswith("M") for label in labels[1:])

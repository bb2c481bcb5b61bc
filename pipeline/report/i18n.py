"""Labels from the message catalogues (reports/i18n/) and locale formatting with Babel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache

import pandas as pd
from babel import Locale as BabelLocale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

from pipeline import yamlfile
from pipeline.paths import I18N_DIR

EMPTY = "—"
# the units a chart's axis writes amounts in, largest first: Chinese counts in 万 (10^4) and
# 亿 (10^8), English in thousands, millions and billions
AMOUNT_UNITS = {"zh_CN": ((10**8, "亿"), (10**4, "万")),
                "en": ((10**9, "B"), (10**6, "M"), (10**3, "K"))}


@cache
def catalogue(language: str) -> dict[str, str]:
    return yamlfile.safe_load((I18N_DIR / f"{language}.yaml").read_text(encoding="utf-8"))


@cache
def _babel(language: str) -> BabelLocale:
    """Parsed once: Babel normalises a locale name on every call it is given as a string."""
    return BabelLocale.parse(language)


@lru_cache(maxsize=65_536, typed=True)
def _decimal(value, pattern: str, language: str) -> str:
    """Babel's format_decimal, remembered: a report formats the same few numbers many times.
    (Zero is not remembered: 0.0 and -0.0 are one key but may print differently.)"""
    return format_decimal(value, format=pattern, locale=_babel(language))


def _missing(value) -> bool:
    return value is None or bool(pd.isna(value))


@dataclass(frozen=True)
class Locale:
    language: str
    currency: str

    def text(self, key: str, **values) -> str:
        labels = catalogue(self.language)
        if key not in labels:
            raise KeyError(f"no label {key!r} in reports/i18n/{self.language}.yaml")
        return labels[key].format(**values) if values else labels[key]

    def name(self, row, column: str) -> str | None:
        """A name the marts carry in both languages (<column>_en, <column>_zh), in the
        reader's."""
        return row[f"{column}_zh" if self.language == "zh_CN" else f"{column}_en"]

    def money(self, value) -> str:
        if _missing(value):
            return EMPTY
        return format_currency(round(float(value)), self.currency, format="¤#,##0",
                               locale=_babel(self.language), currency_digits=False)

    def cents(self, value) -> str:
        """An amount to the cent, a half up (a commission statement's parts and payout)."""
        if _missing(value):
            return EMPTY
        cents = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return format_currency(cents, self.currency, format="¤#,##0.00",
                               locale=_babel(self.language), currency_digits=False)

    def percent(self, value) -> str:
        if _missing(value):
            return EMPTY
        return format_percent(float(value), format="#,##0.0%", locale=_babel(self.language))

    def points(self, value) -> str:
        """A change between two rates, in percentage points."""
        if _missing(value):
            return EMPTY
        return format_decimal(float(value) * 100, format="+#,##0.0;-#,##0.0",
                              locale=_babel(self.language)) + " pp"

    def nps(self, value) -> str:
        """A net promoter score, a fraction from -1 to 1, on its usual scale of -100 to 100."""
        if _missing(value):
            return EMPTY
        return format_decimal(round(float(value) * 100), format="+#,##0;-#,##0",
                              locale=_babel(self.language))

    def number(self, value, digits: int = 0) -> str:
        if _missing(value):
            return EMPTY
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        if value == 0:
            return format_decimal(value, format=pattern, locale=_babel(self.language))
        return _decimal(value, pattern, self.language)

    def date(self, value) -> str:
        if _missing(value):
            return EMPTY
        if isinstance(value, datetime):
            value = value.date()
        return format_date(value, format="long", locale=_babel(self.language))

    def month(self, value: date) -> str:
        if isinstance(value, datetime):
            value = value.date()
        return format_date(value, format="yyyy-MM", locale=_babel(self.language))


def amount_unit(values, language: str) -> tuple[int, str]:
    """The unit (size, suffix) that writes the largest of these amounts with at least one
    whole unit; (1, "") when it is smaller than the smallest unit."""
    largest = max((abs(float(v)) for v in values), default=0.0)
    return next(((size, suffix) for size, suffix in AMOUNT_UNITS[language] if largest >= size),
                (1, ""))


def short_amount(value, language: str, unit: tuple[int, str] | None = None) -> str:
    """An amount for a chart's axis: 1.2万, 3.5亿 in Chinese, 1.2K, 3.5M in English; in the
    given unit, else in the largest that fits the value itself. Up to two decimals."""
    size, suffix = unit or amount_unit([value], language)
    if float(value) == 0:
        return "0"
    number = format_decimal(float(value) / size, format="#,##0.##", locale=_babel(language))
    return "0" if number in ("0", "-0") else number + suffix

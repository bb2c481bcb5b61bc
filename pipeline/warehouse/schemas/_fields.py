"""Field helpers shared by the contracts, so that one kind of column is checked one way."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

STATUSES = ["open", "won", "lost"]
FORECAST_CATEGORIES = ["pipeline", "best_case", "commit", "closed", "omitted"]
ACTIVITY_TYPES = ["call", "meeting", "task"]
HOLDER_KINDS = ["rep", "team"]  # whose target: a rep's or a team's
# a deal's own movement in the waterfall, in the order the report lists them (README "Waterfall")
DEAL_MOVEMENTS = ["created", "reopened", "pulled_in", "included", "expanded", "contracted",
                  "advanced", "slipped", "unchanged", "pushed_out", "omitted", "won", "lost",
                  "removed"]


def key(description: str) -> pa.Field:
    return pa.Field(nullable=False, description=description)


SCOPE = ("The report scope: 'company', or the user_id of the manager whose whole subtree "
         "(direct and indirect reports) it covers.")


def scope(*, unique: bool = False) -> pa.Field:
    """scope_id, described once for every table at a report scope's grain."""
    return pa.Field(nullable=False, unique=unique, description=SCOPE)


def text(description: str, *, nullable: bool = True, **checks) -> pa.Field:
    return pa.Field(nullable=nullable, description=description, **checks)


def money(description: str, *, nullable: bool = False) -> pa.Field:
    return pa.Field(ge=0, nullable=nullable, description=description)


def count(description: str) -> pa.Field:
    return pa.Field(ge=0, nullable=False, description=description)


def rate(description: str) -> pa.Field:
    """A fraction within 0-1 (win and conversion rates); null when its denominator is 0."""
    return pa.Field(ge=0, le=1, nullable=True, description=description)


def ratio(description: str) -> pa.Field:
    """A fraction that may exceed 1 (attainment); null when its denominator is 0."""
    return pa.Field(ge=0, nullable=True, description=description)


def order(description: str, *, nullable: bool = True) -> pa.Field:
    return pa.Field(ge=1, nullable=nullable, coerce=True, description=description)


def moment(description: str, *, nullable: bool = False) -> pa.Field:
    return pa.Field(nullable=nullable, description=description)


def flag(description: str) -> pa.Field:
    return pa.Field(nullable=False, coerce=True, description=description)


def days(description: str) -> pa.Field:
    return pa.Field(ge=0, nullable=True, description=description)


def in_sql(condition: str):
    """The same table check in SQL, for a table checked inside DuckDB
    (pipeline/warehouse/sql_checks.py): a condition every row meets, or a `select` from
    {table} of the groups that fail. Goes under @pa.dataframe_check; tests/test_sql_checks.py
    holds both forms to one verdict."""

    def mark(function):
        function.sql = condition
        return function

    return mark


class LossReasonColumns(pa.DataFrameModel):
    """A lost deal's reason, as the loss-reason file names it (README "Loss reasons")."""

    loss_reason_id: Series[str] = text("The reason's id in the loss-reason file; for a label "
                                       "the file does not know, 'label:' and the label in "
                                       "lower case; null when none was given.")
    loss_reason_en: Series[str] = text("The reason's name in English (an unknown label's "
                                       "own text); null when none was given.")
    loss_reason_zh: Series[str] = text("The reason's name in Chinese (an unknown label's "
                                       "own text); null when none was given.")

    @pa.dataframe_check
    @in_sql("(loss_reason_id is null) = (loss_reason_en is null) "
            "and (loss_reason_id is null) = (loss_reason_zh is null)")
    def reason_named_in_both_languages(cls, df: pd.DataFrame) -> Series[bool]:
        missing = df["loss_reason_id"].isna()
        return (missing == df["loss_reason_en"].isna()) & (missing == df["loss_reason_zh"].isna())

"""Field helpers shared by the contracts, so that one kind of column is checked one way."""

from __future__ import annotations

import pandera.pandas as pa

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
    """The same table check in SQL, for a table checked inside DuckDB (pipeline/sql_checks.py):
    a condition every row meets, or a `select` from {table} of the groups that fail. Goes
    under @pa.dataframe_check; tests/test_sql_checks.py holds both forms to one verdict."""

    def mark(function):
        function.sql = condition
        return function

    return mark

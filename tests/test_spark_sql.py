"""The marts in Spark SQL (docs/SCALING.md): every model transpiles, with no DuckDB variable
or macro left, and the constructs Spark lacks are the ones SCALING.md names."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("sqlglot")

from pipeline.paths import ROOT  # noqa: E402
from pipeline.tools import spark_sql  # noqa: E402
from pipeline.warehouse.build import discover_models  # noqa: E402


def test_every_model_transpiles_to_spark_sql(tmp_path):
    left = spark_sql.transpile(tmp_path)
    written = {path.stem.split("_", 1)[1]: path.read_text(encoding="utf-8")
               for path in tmp_path.glob("*.sql")}
    assert set(written) == set(discover_models())
    macros = set(spark_sql.macros())
    for name, text in written.items():
        assert "GETVARIABLE" not in text.upper(), name
        called = {m.lower() for m in re.findall(r"\b(\w+)\(", text)}
        assert not called & macros, name
    scaling = (ROOT / "docs" / "SCALING.md").read_text(encoding="utf-8")
    for lacking in {what for found in left.values() for what in found}:
        assert lacking in scaling, lacking

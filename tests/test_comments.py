"""The contracts' descriptions in the warehouse, as COMMENT ON: what any DuckDB client shows."""

from __future__ import annotations

import duckdb
import pandera.pandas as pa
import pytest
from pandera.typing import Series

from pipeline.warehouse.build import discover_models
from pipeline.warehouse.comments import describe_tables, missing_descriptions
from pipeline.warehouse.db import open_warehouse
from pipeline.warehouse.schemas import SCHEMAS

MARTS = sorted(name for name in SCHEMAS if name.startswith(("rpt_", "fct_", "dim_")))


@pytest.fixture(scope="module")
def comments(sample_run):
    with open_warehouse(sample_run.warehouse, read_only=True) as con:
        tables = dict(con.execute("select table_name, comment from duckdb_tables()").fetchall())
        columns = {(table, column): comment for table, column, comment in con.execute(
            "select table_name, column_name, comment from duckdb_columns()").fetchall()}
    return tables, columns


def test_every_mart_and_every_mart_column_has_its_contracts_description(comments):
    tables, columns = comments
    assert len(MARTS) > 40
    for name in MARTS:
        assert tables[name] == SCHEMAS[name].Config.description, name
        declared = SCHEMAS[name].to_schema().columns
        built = {column for table, column in columns if table == name}
        assert built == set(declared), name
        for column in built:
            assert columns[name, column] == declared[column].description, f"{name}.{column}"
            assert columns[name, column].strip(), f"{name}.{column}"


def test_every_table_built_from_sql_is_described(comments):
    tables, columns = comments
    for name in discover_models():
        assert tables[name], name
        assert all(columns[t, c] for t, c in columns if t == name), name
    assert tables["pipeline_state"].startswith("One row per")


def test_a_description_with_quotes_is_written_as_it_reads(comments):
    _, columns = comments
    assert columns["fct_deals", "owner_name"] == "Owner's name."


class Quoted(pa.DataFrameModel):
    deal_id: Series[str] = pa.Field(description="The deal's id; -- not a comment, nor $1 ?")
    select: Series[str] = pa.Field(description='A column named "select", said \'twice\'.')
    undeclared: Series[str] = pa.Field(description="In the contract, not in the table.")

    class Config:
        name = "it's a table"
        description = "One row per deal's 'quoted' thing."


def test_quotes_and_odd_names_survive_and_absent_tables_and_columns_are_skipped():
    con = duckdb.connect()
    con.execute("""create table "it's a table" as select 'x' as deal_id, 'y' as "select" """)
    written = describe_tables(con, {"it's a table": Quoted, "not_built": Quoted})
    assert written == 3
    assert con.execute("select comment from duckdb_tables()").fetchall() == [
        ("One row per deal's 'quoted' thing.",)]
    assert con.execute("select column_name, comment from duckdb_columns() "
                       "where table_name = $1 order by column_index",
                       ["it's a table"]).fetchall() == [
        ("deal_id", "The deal's id; -- not a comment, nor $1 ?"),
        ("select", 'A column named "select", said \'twice\'.')]


class Undescribed(pa.DataFrameModel):
    deal_id: Series[str] = pa.Field(description="CRM deal id.")
    amount: Series[float] = pa.Field(ge=0)
    stage: Series[str] = pa.Field(description="  ")

    class Config:
        name = "fct_undescribed"
        description = "Deals."


def test_a_contract_without_its_grain_or_a_column_description_is_found():
    assert missing_descriptions({"fct_undescribed": Undescribed}) == [
        "fct_undescribed", "fct_undescribed.amount", "fct_undescribed.stage"]


def test_every_contract_states_its_grain_and_describes_every_column():
    assert missing_descriptions(SCHEMAS) == []

"""History: each run records the state of every deal, and of the org chart, as of its date.

The records are Parquet files, one per kind and as-of date, under out/history/. A run that
is repeated replaces its date's files; the build of a date reads only the files of earlier
dates, so runs may come in any order and a date can always be rebuilt as it was.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import duckdb

from pipeline.config import Config
from pipeline.errors import ValidationFailed
from pipeline.ingest.files import sha256
from pipeline.warehouse.db import read_state, scalar

log = logging.getLogger(__name__)

# kind -> the query over validated tables whose rows are recorded
SNAPSHOTS = {
    "deal_states": "select source, deal_id, owner_id, team, stage, status, "
                   "deal_amount as amount, deal_currency as currency, close_date, probability, "
                   "forecast_category, created_date from fct_deals",
    "org": "select user_id, name, manager_id, team, region from stg_ops__org",
    "violations": "select rule_id, record_type, record_id, record_name, owner_id, team, "
                  "severity, measured_value, threshold_value, detail, first_seen_date "
                  "from fct_discipline_violations where not is_resolved",
    "discipline": "select owner_id, open_deals_count, info_count, warning_count, "
                  "critical_count, penalty from rpt_discipline_by_rep "
                  "where as_of_date = $as_of::date",
}
TABLES = {
    "deal_states": ("raw_history__deal_states",
                    "as_of_date date, source varchar, deal_id varchar, owner_id varchar, "
                    "team varchar, stage varchar, status varchar, amount decimal(18, 2), "
                    "currency varchar, close_date date, probability double, "
                    "forecast_category varchar, created_date date"),
    "org": ("raw_history__org",
            "as_of_date date, user_id varchar, name varchar, manager_id varchar, "
            "team varchar, region varchar"),
    "violations": ("raw_history__violations",
                   "as_of_date date, rule_id varchar, record_type varchar, record_id varchar, "
                   "record_name varchar, owner_id varchar, team varchar, severity varchar, "
                   "measured_value double, threshold_value double, detail varchar, "
                   "first_seen_date date"),
    "discipline": ("raw_history__discipline",
                   "as_of_date date, owner_id varchar, open_deals_count bigint, "
                   "info_count bigint, warning_count bigint, critical_count bigint, "
                   "penalty double"),
}


def load_history(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    """Every state recorded before the as-of date into raw_history__ tables, and the files
    read into raw_history_files. A date's own record never feeds its build, so running a
    date again builds the same warehouse."""
    con.execute("create or replace table raw_history_files (kind varchar, "
                "file_name varchar, sha256 varchar)")
    for kind, (table, columns) in TABLES.items():
        con.execute(f"create or replace table {table} ({columns})")
        files = sorted(f for f in (config.history_dir / kind).glob("*.parquet")
                       if f.stem < config.as_of.isoformat())
        if files:
            con.execute(f"insert into {table} by name select * from read_parquet($files)",
                        {"files": [str(f) for f in files]})
            con.executemany("insert into raw_history_files values (?, ?, ?)",
                            [(kind, f.name, sha256(f)) for f in files])
            log.info("loaded %d recorded dates of %s", len(files), kind)


def record_snapshot(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    """Writes this date's states, from validated tables only, replacing any earlier record."""
    build_id = read_state(con, "build_id")
    if build_id is None or read_state(con, "validated_build_id") != build_id:
        raise ValidationFailed("only a validated build is recorded in the history; "
                               "run `make validate` first")
    as_of = config.as_of.isoformat()
    for kind, query in SNAPSHOTS.items():
        folder = config.history_target / kind
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{as_of}.parquet"
        partial = folder / f".{as_of}.parquet.partial"
        con.execute(f"copy (select $as_of::date as as_of_date, * from ({query}) "
                    f"order by all) to '{_literal(partial)}' (format parquet)",
                    {"as_of": as_of})
        os.replace(partial, target)
    deals = scalar(con, "select count(*) from fct_deals")
    log.info("recorded the state of %d deals as of %s", deals, as_of)


def _literal(path: Path) -> str:
    """COPY takes its target as a literal; the path is ours, quotes doubled all the same."""
    return str(path).replace("'", "''")

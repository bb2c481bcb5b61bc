"""Build: run sql/ by layer into the warehouse, each file becoming the table named after it.

Files are ordered by the tables they read, found by name in their text. A layer reads only
the layers below it: staging reads raw_ tables, intermediate reads staging and intermediate,
marts read staging, intermediate and marts.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import duckdb

from pipeline.config import Config
from pipeline.control.failpoints import failpoint
from pipeline.errors import ConfigError, InputRejected
from pipeline.paths import SQL_DIR

log = logging.getLogger(__name__)

LAYERS = ("staging", "intermediate", "marts")
LAYER_PREFIXES = {"staging": ("stg_",), "intermediate": ("int_",),
                  "marts": ("dim_", "fct_", "rpt_")}
MAY_READ = {"staging": ("raw",), "intermediate": ("staging", "intermediate"),
            "marts": ("staging", "intermediate", "marts")}
MODEL_PREFIXES = tuple(p for prefixes in LAYER_PREFIXES.values() for p in prefixes)
IDENTIFIER = re.compile(r"\b((?:raw|stg|int|dim|fct|rpt)_[a-z0-9_]+)\b")


@dataclass(frozen=True)
class Model:
    name: str
    layer: str
    path: Path
    sql: str
    reads: frozenset[str]


def discover_models(sql_dir: Path = SQL_DIR) -> dict[str, Model]:
    paths = {path.stem: (layer, path) for layer in LAYERS
             for path in sorted((sql_dir / layer).glob("*.sql"))}
    models = {}
    for name, (layer, path) in paths.items():
        if not name.startswith(LAYER_PREFIXES[layer]):
            raise ConfigError(f"{path}: a {layer} model's name starts with "
                              f"{' or '.join(LAYER_PREFIXES[layer])}")
        sql = path.read_text(encoding="utf-8")
        reads = frozenset(IDENTIFIER.findall(_without_comments(sql))) - {name}
        for table in reads:
            read_layer = "raw" if table.startswith("raw_") else paths.get(table, (None,))[0]
            if read_layer is None:
                raise ConfigError(f"{path}: reads {table}, which no file in sql/ builds")
            if read_layer not in MAY_READ[layer]:
                raise ConfigError(f"{path}: a {layer} model may not read the {read_layer} "
                                  f"table {table}")
        models[name] = Model(name, layer, path, sql, reads)
    return models


def build_order(models: dict[str, Model]) -> list[Model]:
    graph = {name: {r for r in m.reads if r in models} for name, m in models.items()}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise ConfigError(f"sql/ models read each other in a loop: {error.args[1]}") from error
    return sorted((models[name] for name in order),
                  key=lambda m: (LAYERS.index(m.layer), order.index(m.name)))


def set_run_variables(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    con.execute("set variable as_of_date = $as_of::date", {"as_of": config.as_of})
    con.execute("set variable funnel_window_months = $months::integer",
                {"months": config.funnel_window_months})
    con.execute("set variable fiscal_year_start_month = $month::integer",
                {"month": config.fiscal_year_start_month})
    con.execute("set variable reporting_currency = $currency::varchar",
                {"currency": config.currency.upper()})
    con.execute("set variable tier_a_share = $share::double", {"share": config.tier_a_share})
    con.execute("set variable tier_b_share = $share::double", {"share": config.tier_b_share})
    con.execute("set variable churn_risk_tiers = $tiers::varchar[]",
                {"tiers": list(config.churn_risk_tiers)})
    con.execute("set variable churn_risk_days = $days::integer",
                {"days": config.churn_risk_days})
    con.execute("set variable satisfaction_scale = $scale::varchar",
                {"scale": config.satisfaction_scale})


def build_models(con: duckdb.DuckDBPyConnection, config: Config,
                 sql_dir: Path = SQL_DIR) -> str:
    """Build every model; returns the build id (a digest of the inputs, SQL and settings)."""
    models = build_order(discover_models(sql_dir))
    set_run_variables(con, config)
    for path in sorted((sql_dir / "macros").glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))
    for number, model in enumerate(models, start=1):
        if number == len(models) // 2:
            failpoint("build.halfway")
        try:
            con.execute(f"create or replace table {model.name} as (\n{model.sql}\n)")
        except duckdb.Error as error:
            raise ConfigError(f"{model.path}: {error}") from error
        log.debug("built %s", model.name)
    _drop_orphans(con, {m.name for m in models})
    _run_audits(con, config, sql_dir)
    build_id = _build_id(con, models, config)
    con.execute("create or replace table pipeline_state (key varchar primary key, "
                "value varchar)")
    con.executemany("insert into pipeline_state values (?, ?)",
                    [("build_id", build_id), ("as_of_date", config.as_of.isoformat())])
    log.info("built %d models as of %s", len(models), config.as_of.isoformat())
    return build_id


def _run_audits(con, config: Config, sql_dir: Path) -> None:
    """sql/audits/ queries return the rows that break a rule the marts rely on; the first
    such row stops the run. Each names what to fix in its `message` column."""
    for path in sorted((sql_dir / "audits").glob("*.sql")):
        cursor = con.execute(path.read_text(encoding="utf-8"))
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        if rows:
            message = dict(zip(names, rows[0], strict=True)).get("message") or path.stem
            more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
            raise InputRejected(str(config.inbox), f"{message}{more} [{path.stem}]")


def _drop_orphans(con, names: set[str]) -> None:
    """Tables left by a model that sql/ no longer has would mislead an analyst: drop them."""
    tables = [row[0] for row in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'main'").fetchall()]
    for table in tables:
        if table.startswith(MODEL_PREFIXES) and table not in names:
            con.execute(f'drop table "{table}"')
            log.info("dropped %s: no file in sql/ builds it any more", table)


def _build_id(con, models: list[Model], config: Config) -> str:
    digest = hashlib.sha256()
    for (sha256,) in con.execute("select sha256 from raw_files order by file_id").fetchall():
        digest.update(sha256.encode())
    for model in models:
        digest.update(model.sql.encode())
    digest.update(f"{config.as_of}|{config.funnel_window_months}|"
                  f"{config.fiscal_year_start_month}|{config.currency}|"
                  f"{config.tier_a_share}|{config.tier_b_share}|"
                  f"{sorted(config.churn_risk_tiers)}|{config.churn_risk_days}|"
                  f"{config.satisfaction_scale}".encode())
    for (sha256,) in con.execute("select sha256 from raw_history_files "
                                 "order by kind, file_name").fetchall():
        digest.update(sha256.encode())
    # the config files loaded as data: the rules, stages, channels and commission plans
    tables = [row[0] for row in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'main' "
        "and starts_with(table_name, 'raw_config__') order by table_name").fetchall()]
    for table in tables:
        digest.update(table.encode())
        for values in con.execute(f'select * from "{table}" order by all').fetchall():
            digest.update(repr(values).encode())
    return digest.hexdigest()[:16]


def _without_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)

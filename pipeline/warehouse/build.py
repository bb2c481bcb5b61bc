"""Build: run sql/ by layer into the warehouse, each file becoming the table named after it.

Files are ordered by the tables they read, found by name in their text. A layer reads only
the layers below it: staging reads raw_ tables, intermediate reads staging and intermediate,
marts read staging, intermediate and marts.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import duckdb

from pipeline.config import Config
from pipeline.control.failpoints import failpoint
from pipeline.errors import ConfigError, InputRejected
from pipeline.paths import SQL_DIR
from pipeline.warehouse.db import drop_misplaced, read_state, schema_of, use_schemas

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


def select_models(models: dict[str, Model], selectors: list[str]) -> set[str]:
    """The models a dbt-style selection names: `m`, `+m` (and everything upstream of it),
    `m+` (and everything downstream), `+m+` (both); several selectors are a union."""
    downstream: dict[str, set[str]] = {name: set() for name in models}
    for name, model in models.items():
        for table in model.reads & models.keys():
            downstream[table].add(name)
    upstream = {name: model.reads & models.keys() for name, model in models.items()}
    chosen: set[str] = set()
    for selector in selectors:
        name = selector.strip("+")
        if name not in models:
            close = difflib.get_close_matches(name, models, n=3)
            hint = f"; did you mean {' or '.join(close)}?" if close else \
                "; the models are the files of sql/staging, sql/intermediate and sql/marts"
            raise ConfigError(f"--select {selector}: no model is named {name!r}{hint}")
        chosen.add(name)
        if selector.startswith("+"):
            chosen |= _reachable(name, upstream)
        if selector.endswith("+"):
            chosen |= _reachable(name, downstream)
    return chosen


def _reachable(name: str, edges: dict[str, set[str]]) -> set[str]:
    found: set[str] = set()
    todo = [name]
    while todo:
        for other in edges[todo.pop()] - found:
            found.add(other)
            todo.append(other)
    return found


def parse_selectors(values: list[str]) -> list[str]:
    """--select's values: selectors separated by spaces, in one argument or several."""
    selectors = [part for value in values for part in value.split()]
    for selector in selectors:
        if "," in selector:
            raise ConfigError(f"--select {selector}: separate selectors with spaces "
                              "(they are a union); a comma has no meaning here")
        if not selector.strip("+") or "+" in selector.strip("+"):
            raise ConfigError(f"--select {selector}: a selector is MODEL, +MODEL, MODEL+ "
                              "or +MODEL+")
    if not selectors:
        raise ConfigError("--select names no model")
    return selectors


def build_models(con: duckdb.DuckDBPyConnection, config: Config,
                 sql_dir: Path = SQL_DIR, select: list[str] | None = None) -> str:
    """Build every model, or only those `select` names (in place, in the warehouse a full
    build made); returns the build id (a digest of the inputs, SQL and settings)."""
    everything = build_order(discover_models(sql_dir))
    chosen = None
    if select is not None:
        chosen = select_models({m.name: m for m in everything}, parse_selectors(select))
        _check_selection(con, config, [m for m in everything if m.name in chosen])
    models = [m for m in everything if chosen is None or m.name in chosen]
    if config.engine == "spark" and chosen is not None:
        raise ConfigError("--select rebuilds models in place on DuckDB: leave out --engine "
                          "spark (or set engine: duckdb), or run a full build on Spark")
    use_schemas(con)
    drop_misplaced(con, {m.name for m in models})
    set_run_variables(con, config)
    for path in sorted((sql_dir / "macros").glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))
    if config.engine == "spark":
        from pipeline.warehouse.spark import build_on_spark

        build_on_spark(con, config, models, sql_dir)
    else:
        _build_on_duckdb(con, models)
    if chosen is None:
        _drop_orphans(con, {m.name for m in models})
    run_audits(con, config, sql_dir, chosen)
    build_id = _build_id(con, everything, config)
    if chosen is not None:  # not the id of a full build: the tables not chosen are older
        build_id = hashlib.sha256(f"{build_id}|{sorted(chosen)}".encode()).hexdigest()[:16]
    # written anew, so the validated_build_id of the last validation goes with the old tables
    con.execute("create or replace table pipeline.pipeline_state (key varchar primary key, "
                "value varchar)")
    con.executemany("insert into pipeline_state values (?, ?)",
                    [("build_id", build_id), ("as_of_date", config.as_of.isoformat()),
                     ("run_variables", _run_variables(config))])
    if chosen is None:
        log.info("built %d models as of %s", len(models), config.as_of.isoformat())
    else:
        log.info("built %d selected models as of %s: %s", len(models),
                 config.as_of.isoformat(), ", ".join(m.name for m in models))
    return build_id


def _build_on_duckdb(con: duckdb.DuckDBPyConnection, models: list[Model]) -> None:
    with insertion_order_free(con):
        for number, model in enumerate(models, start=1):
            if number == len(models) // 2:
                failpoint("build.halfway")
            try:
                con.execute(f"create or replace table {schema_of(model.name)}.{model.name} "
                            f"as (\n{model.sql}\n)")
            except duckdb.Error as error:
                raise ConfigError(f"{model.path}: {error}") from error
            log.debug("built %s", model.name)


@contextmanager
def insertion_order_free(con: duckdb.DuckDBPyConnection):
    """A model's rows are in no order (every reader sorts what it shows), so DuckDB need not
    keep the order of their inputs, which costs CPU and memory on the big tables. The ingest
    keeps it: a loaded row's position is its line in the export."""
    before = con.execute("select current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("set preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute("set preserve_insertion_order = $before", {"before": before})


def _check_selection(con, config: Config, models: list[Model]) -> None:
    """A selection rebuilds part of a warehouse in place: the tables it reads and does not
    rebuild must be there, and built with the same as-of date and settings."""
    chosen = {m.name for m in models}
    present = {row[0] for row in con.execute(
        "select table_name from duckdb_tables() union all "
        "select view_name from duckdb_views() where not internal").fetchall()}
    missing = sorted({t for m in models for t in m.reads - chosen - present})
    if missing:
        raw = [t for t in missing if t.startswith("raw_")]
        built = [t for t in missing if not t.startswith("raw_")]
        how = []
        if raw:
            how.append("run `ingest` first for " + ", ".join(raw))
        if built:
            readers = [m.name for m in models if m.reads & set(built)]
            how.append("select them too (--select " + " ".join(f"+{n}" for n in readers)
                       + " also rebuilds everything upstream), or run a full `build`")
        raise ConfigError(f"--select: the selected models read {', '.join(missing)}, which "
                          f"the warehouse {config.warehouse} does not hold: {'; '.join(how)}")
    built_as_of = read_state(con, "as_of_date")
    if built_as_of is None:  # nothing built yet: the selection sets the date and settings
        return
    if built_as_of != config.as_of.isoformat():
        raise ConfigError(f"--select: the warehouse was built as of {built_as_of}, not "
                          f"{config.as_of.isoformat()}; a selection rebuilds part of it, so "
                          f"pass --as-of {built_as_of}, or run a full `build` for the new date")
    if read_state(con, "run_variables") != _run_variables(config):
        raise ConfigError("--select: the warehouse was built with other settings than these "
                          f"({read_state(con, 'run_variables') or 'not recorded'} against "
                          f"{_run_variables(config)}); a selection rebuilds part of it with "
                          "the same settings, so run a full `build` with the new ones")


def run_audits(con, config: Config, sql_dir: Path = SQL_DIR,
               chosen: set[str] | None = None) -> None:
    """sql/audits/ queries return the rows that break a rule the marts rely on; the first
    such row stops the run. Each names what to fix in its `message` column. After a
    selection, only the audits that read nothing but the rebuilt tables and raw_ run: one
    that compares a rebuilt table with an older one would compare two different nights."""
    for path in sorted((sql_dir / "audits").glob("*.sql")):
        sql = path.read_text(encoding="utf-8")
        reads = set(IDENTIFIER.findall(_without_comments(sql)))
        if chosen is not None and not all(t in chosen or t.startswith("raw_") for t in reads):
            log.info("audit %s not run: it reads tables the selection did not rebuild",
                     path.stem)
            continue
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        if rows:
            message = dict(zip(names, rows[0], strict=True)).get("message") or path.stem
            more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
            raise InputRejected(str(config.inbox), f"{message}{more} [{path.stem}]")


def _drop_orphans(con, names: set[str]) -> None:
    """Tables left by a model that sql/ no longer has would mislead an analyst: drop them."""
    tables = con.execute("select schema_name, table_name from duckdb_tables() "
                         "where database_name = current_database() and not temporary"
                         ).fetchall()
    for schema, table in tables:
        if table.startswith(MODEL_PREFIXES) and table not in names:
            con.execute(f'drop table "{schema}"."{table}"')
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
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and not temporary and starts_with(table_name, 'raw_config__') order by table_name"
    ).fetchall()]
    for table in tables:
        digest.update(table.encode())
        for values in con.execute(f'select * from "{table}" order by all').fetchall():
            digest.update(repr(values).encode())
    return digest.hexdigest()[:16]


def _run_variables(config: Config) -> str:
    """The settings the SQL reads, other than the as-of date, as the warehouse records them."""
    return json.dumps({"funnel_window_months": config.funnel_window_months,
                       "fiscal_year_start_month": config.fiscal_year_start_month,
                       "currency": config.currency, "tier_a_share": config.tier_a_share,
                       "tier_b_share": config.tier_b_share,
                       "churn_risk_tiers": sorted(config.churn_risk_tiers),
                       "churn_risk_days": config.churn_risk_days,
                       "satisfaction_scale": config.satisfaction_scale}, sort_keys=True)


def _without_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)

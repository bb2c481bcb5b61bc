"""The data dictionary: static HTML pages an analyst opens in a browser, one per table
built from sql/, marts first. `make docs` writes it to out/docs/index.html.

    python -m pipeline.warehouse.dictionary --out out/docs [--warehouse out/warehouse.duckdb]

Everything comes from what the build already reads: the grain and the column descriptions
from the contracts (pipeline/warehouse/schemas/), their checks, the lineage from the tables
each SQL file reads (build.discover_models), and the metric definitions of docs/metrics.md.
Column types are DuckDB's when a built warehouse is given and holds the table, else the
contract's; no run is needed.

A metric concerns a table when its definition names the table (`rpt_forecast`, or
`fct_deals.amount`), or when it defines one of the table's columns: a column named in a
bold span (**`win_rate`**, **won_count, ...**) or in the parentheses right after one
(**Pace** (`pace_rate`)). A name of a table that sql/ does not build, or of a column its
contract does not have, stops the dictionary with an error naming the metric.
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandera.pandas as pa
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from pipeline.errors import ConfigError
from pipeline.paths import ROOT
from pipeline.warehouse.build import MODEL_PREFIXES, Model, discover_models
from pipeline.warehouse.comments import column_descriptions, table_description
from pipeline.warehouse.schemas import SCHEMAS

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
METRICS = ROOT / "docs" / "metrics.md"
MARKER = ".data-dictionary"  # a folder with this file is ours to replace
LAYER_ORDER = ("marts", "intermediate", "staging")
NAME = re.compile(r"(?<![\w.])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?:\.([a-z][a-z0-9_]*))?(?![\w.])")
CODE = re.compile(r"`([^`]+)`")
BOLD = re.compile(r"\*\*(.+?)\*\*(\s*\(([^()]*)\))?")
LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
CONTRACT_TYPES = {"string": "text", "str": "text", "object": "text", "int64": "integer",
                  "int32": "integer", "float64": "number", "bool": "boolean",
                  "datetime64[ns]": "timestamp", "date": "date"}
COMPARISONS = {"greater_than_or_equal_to": (">=", "min_value"),
               "greater_than": (">", "min_value"),
               "less_than_or_equal_to": ("<=", "max_value"),
               "less_than": ("<", "max_value"),
               "equal_to": ("=", "value"), "not_equal_to": ("<>", "value")}


@dataclass
class Metric:
    name: str
    slug: str
    text: str  # the definition, in the Markdown of docs/metrics.md
    tables: set[str] = field(default_factory=set)  # the tables it names
    defines: set[str] = field(default_factory=set)  # the column names it defines


@dataclass
class Column:
    name: str
    type: str
    nullable: bool
    description: str


@dataclass
class Page:
    name: str
    layer: str
    grain: str
    path: str
    columns: list[Column]
    checks: list[str]
    upstream: list[str]
    downstream: list[str]
    metrics: list[Metric]


def write_dictionary(out: Path, *, warehouse: Path | None = None,
                     metrics_path: Path = METRICS) -> Path:
    """Writes index.html and a page per table into `out`; returns the index's path."""
    models = discover_models()
    metrics = read_metrics(metrics_path)
    check_metric_names(metrics, models)
    types, types_from = warehouse_types(warehouse)
    pages = [page(models[name], models, metrics, types)
             for name in _ordered(models) if name in SCHEMAS]
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["markdown"] = lambda text: inline_markdown(text, set(models))
    _prepare(out)
    known = {p.name for p in pages}
    for each in pages:
        (out / f"{each.name}.html").write_text(
            env.get_template("model.html").render(page=each, known=known,
                                                  types_from=types_from),
            encoding="utf-8")
    index = out / "index.html"
    layers = {layer: [p for p in pages if p.layer == layer] for layer in LAYER_ORDER}
    index.write_text(env.get_template("index.html").render(
        layers=layers, metrics=metrics, types_from=types_from,
        concerns={m.slug: [p.name for p in pages if m in p.metrics] for m in metrics}),
        encoding="utf-8")
    log.info("wrote the data dictionary of %d tables to %s", len(pages), index)
    return index


def read_metrics(path: Path) -> list[Metric]:
    """The definitions of the `## Metrics` section: one per top-level bullet, named by its
    first bold span."""
    if not path.is_file():
        raise ConfigError(f"{path}: not found; the metric definitions are read from it")
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if re.match(r"##\s+Metrics\s*$", line))
    except StopIteration:
        raise ConfigError(f"{path}: has no '## Metrics' section") from None
    bullets: list[list[str]] = []
    for line in lines[start + 1:]:
        if re.match(r"#{1,2}\s", line):
            break
        if line.startswith("- "):
            bullets.append([line[2:]])
        elif bullets and line.startswith("  ") and line.strip():
            bullets[-1].append(line.strip())
        elif bullets and not line.strip():
            bullets.append([])  # a blank line ends the bullet
    metrics, slugs = [], set()
    for bullet in filter(None, bullets):
        text = " ".join(bullet)
        bold = BOLD.match(text)
        if bold is None:
            raise ConfigError(f"{path}: a metric's definition starts with its name in bold: "
                              f"{text[:60]!r}")
        name = bold.group(1).replace("`", "")
        slug = base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        number = 1
        while slug in slugs:
            number += 1
            slug = f"{base}-{number}"
        slugs.add(slug)
        metric = Metric(name, slug, text)
        for code in CODE.findall(text):
            for table, _ in NAME.findall(code):
                if table.startswith(MODEL_PREFIXES):
                    metric.tables.add(table)
        for match in BOLD.finditer(text):
            spans = match.group(1) + " " + (match.group(3) or "")
            metric.defines |= {name for name, column in NAME.findall(spans.replace("`", ""))
                               if not name.startswith(MODEL_PREFIXES) and not column}
        metrics.append(metric)
    return metrics


def check_metric_names(metrics: list[Metric], models: dict[str, Model]) -> None:
    """Every table a metric names is built from sql/, and every table.column of one is in
    that table's contract."""
    for metric in metrics:
        for code in CODE.findall(metric.text):
            for table, column in NAME.findall(code):
                if not table.startswith(MODEL_PREFIXES):
                    continue
                if table not in models:
                    raise ConfigError(f"metric {metric.name!r} names {table}, which no file "
                                      f"in sql/ builds")
                if column and column not in _columns(table):
                    raise ConfigError(f"metric {metric.name!r} names {table}.{column}, a "
                                      f"column {table}'s contract does not have")


def concerns(metric: Metric, table: str) -> bool:
    return table in metric.tables or bool(metric.defines & set(_columns(table)))


def page(model: Model, models: dict[str, Model], metrics: list[Metric],
         types: dict[tuple[str, str], str]) -> Page:
    contract = SCHEMAS[model.name]
    schema = contract.to_schema()
    columns = [Column(name, types.get((model.name, name)) or _contract_type(column.dtype),
                      column.nullable, column_descriptions(contract)[name])
               for name, column in schema.columns.items()]
    # the warehouse's order of the columns when it has the table, else the contract's
    order = list(types)
    columns.sort(key=lambda c: order.index((model.name, c.name))
                 if (model.name, c.name) in types else len(order))
    return Page(
        name=model.name, layer=model.layer, grain=table_description(contract),
        path=model.path.relative_to(ROOT).as_posix(), columns=columns,
        checks=readable_checks(contract),
        upstream=sorted(model.reads),
        downstream=sorted(n for n, m in models.items() if model.name in m.reads),
        metrics=[m for m in metrics if concerns(m, model.name)])


def readable_checks(contract: type[pa.DataFrameModel]) -> list[str]:
    """The contract's checks as an analyst reads them: "won_amount >= 0", "unique
    (scope_id, month)", a row rule with its SQL."""
    schema = contract.to_schema()
    checks = []
    if schema.unique:
        keys = [schema.unique] if isinstance(schema.unique, str) else list(schema.unique)
        checks.append(f"unique ({', '.join(keys)})")
    for name, column in schema.columns.items():
        if column.unique:
            checks.append(f"unique ({name})")
        checks += _column_checks(name, column.checks)
    for check in schema.checks:
        function = getattr(getattr(contract, check.name, None), "__func__", None)
        rule = check.name.replace("_", " ")
        sql = getattr(function, "sql", None)
        checks.append(f"{rule}: {' '.join(sql.split())}" if sql else rule)
    return checks


def _column_checks(column: str, checks: list[pa.Check]) -> list[str]:
    """Each check of a column; a lower and an upper bound as one range (0 <= x <= 1)."""
    bounds = {check.name: check for check in checks}
    low = bounds.get("greater_than_or_equal_to") or bounds.get("greater_than")
    high = bounds.get("less_than_or_equal_to") or bounds.get("less_than")
    if low is None or high is None:
        return [_readable(column, check) for check in checks]
    ranged = (f"{_value(low.statistics['min_value'])} "
              f"{'<=' if low.name == 'greater_than_or_equal_to' else '<'} {column} "
              f"{'<=' if high.name == 'less_than_or_equal_to' else '<'} "
              f"{_value(high.statistics['max_value'])}")
    return [ranged] + [_readable(column, check) for check in checks
                       if check is not low and check is not high]


def warehouse_types(path: Path | None) -> tuple[dict[tuple[str, str], str], str]:
    """DuckDB's type of every column of a built warehouse, and where the types came from."""
    if path is None or not path.exists():
        return {}, "the contracts (no warehouse built yet)"
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            rows = con.execute("select table_name, column_name, data_type from "
                               "duckdb_columns() where database_name = current_database() "
                               "and not internal").fetchall()
    except duckdb.Error as error:
        log.warning("%s: %s; the types shown are the contracts'", path, error)
        return {}, "the contracts (the warehouse could not be read)"
    return {(t, c): d for t, c, d in rows}, f"the warehouse {path}"


def inline_markdown(text: str, models: set[str]) -> Markup:
    """The few inline forms of docs/metrics.md as HTML: `code` (a table's name a link to its
    page), **bold**, and [links] as their text. The text is escaped first."""
    html = str(escape(text))
    html = LINK.sub(r"\1", html)

    def code(match: re.Match) -> str:
        inner = match.group(1)
        table = inner.split(".")[0]
        if table in models:
            return f'<a href="{table}.html"><code>{inner}</code></a>'
        return f"<code>{inner}</code>"

    html = re.sub(r"`([^`]+)`", code, html)
    html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
    return Markup(html)


def _readable(column: str, check: pa.Check) -> str:
    stats = check.statistics or {}
    if check.name in COMPARISONS:
        operator, key = COMPARISONS[check.name]
        return f"{column} {operator} {_value(stats.get(key))}"
    if check.name == "in_range":
        low = "<=" if stats.get("include_min", True) else "<"
        high = "<=" if stats.get("include_max", True) else "<"
        return (f"{_value(stats.get('min_value'))} {low} {column} {high} "
                f"{_value(stats.get('max_value'))}")
    if check.name in ("isin", "notin"):
        values = stats.get("allowed_values", stats.get("forbidden_values", []))
        word = "in" if check.name == "isin" else "not in"
        return f"{column} {word} ({', '.join(_value(v) for v in values)})"
    if check.name == "str_matches":
        return f"{column} matches {_value(stats.get('pattern'))}"
    details = ", ".join(f"{k}={_value(v)}" for k, v in stats.items())
    return f"{column}: {check.name.replace('_', ' ')}" + (f" ({details})" if details else "")


def _value(value) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def _contract_type(dtype) -> str:
    name = str(dtype).split("[")[0] if str(dtype).startswith("string") else str(dtype)
    return CONTRACT_TYPES.get(name.lower(), name)


def _columns(table: str) -> list[str]:
    return list(SCHEMAS[table].to_schema().columns) if table in SCHEMAS else []


def _ordered(models: dict[str, Model]) -> list[str]:
    return sorted(models, key=lambda n: (LAYER_ORDER.index(models[n].layer), n))


def _prepare(out: Path) -> None:
    """An empty folder, or one this module wrote (its pages are replaced); never another."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise ConfigError(f"{out}: not empty and not a data dictionary written by "
                              f"`make docs`; choose another folder")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by pipeline.warehouse.dictionary\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.warehouse.dictionary",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("out/docs"),
                        help="the folder to write (default out/docs)")
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="a built warehouse to read the column types from")
    parser.add_argument("--metrics", type=Path, default=METRICS,
                        help="the metric definitions (default docs/metrics.md)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        index = write_dictionary(args.out, warehouse=args.warehouse, metrics_path=args.metrics)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"data dictionary: {index.resolve().as_uri()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

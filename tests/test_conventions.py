"""Conventions that keep names, contracts, templates, docs and the Makefile from drifting."""

from __future__ import annotations

import ast
import re
import subprocess

import pytest
import yaml

from pipeline.paths import I18N_DIR, ROOT, SQL_DIR, TEMPLATES_DIR
from pipeline.warehouse.build import LAYER_PREFIXES, discover_models
from pipeline.warehouse.db import open_warehouse
from pipeline.warehouse.schemas import SCHEMAS

MODELS = discover_models()
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"
MARTS_DOC = (DOCS / "marts.md").read_text(encoding="utf-8")
METRICS_DOC = (DOCS / "metrics.md").read_text(encoding="utf-8")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_table_has_a_contract_and_every_contract_a_table():
    assert set(MODELS) == set(SCHEMAS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_sql_file_states_its_grain_on_its_first_line(name):
    first = MODELS[name].sql.splitlines()[0]
    assert first.startswith(f"-- {name}: one row per"), first


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_sql_file_is_one_select_ending_in_final(name):
    sql = MODELS[name].sql
    assert re.search(r"\bselect \* from final\s*$", sql), name
    assert not re.search(r"\b(create|insert|update|delete|drop)\b", sql, re.I), name


def test_no_sql_reads_the_clock():
    for path in SQL_DIR.rglob("*.sql"):
        text = path.read_text(encoding="utf-8").lower()
        for call in ("current_date", "current_timestamp", "now()", "today()",
                     "get_current_timestamp", "localtimestamp"):
            assert call not in text, f"{path.name} uses {call}"


def test_model_names_match_their_layer():
    for model in MODELS.values():
        assert model.name.startswith(LAYER_PREFIXES[model.layer])


def test_every_contract_describes_its_grain_and_columns():
    for name, schema in SCHEMAS.items():
        assert schema.Config.description.startswith("One row per"), name
        for column, field in schema.to_schema().columns.items():
            assert field.description, f"{name}.{column} has no description"


@pytest.fixture(scope="module")
def mart_types(sample_run):
    with open_warehouse(sample_run.warehouse, read_only=True) as con:
        return con.execute("select table_name, column_name, data_type from "
                           "information_schema.columns where table_name in "
                           f"({', '.join('?' for _ in MODELS)})", list(MODELS)).fetchall()


@pytest.mark.parametrize("pattern, expected", [
    (r"^(?!.*_rate_)(.*_)?amount$", "DECIMAL(18,2)"),
    (r"^(?!fx_).*_rate(_change|_amount)?$", "DOUBLE"),  # fx_rate is a price: DECIMAL
    (r"^fx_rate$", "DECIMAL(18,8)"),
    (r"_count$", "BIGINT"),
    (r"(_date|^month|_month|^period_start|^period_end)$", "DATE"),
    (r"_at$", "TIMESTAMP"),
    (r"^(is|has)_", "BOOLEAN"),
    (r"_id$", "VARCHAR"),
])
def test_column_names_say_their_type(mart_types, pattern, expected):
    wrong = [(t, c, d) for t, c, d in mart_types if re.search(pattern, c) and d != expected]
    assert not wrong


def test_every_report_partial_is_named_after_the_mart_it_shows():
    partials = {p.stem[1:] for p in TEMPLATES_DIR.glob("_*.html")} - {"macros"}
    for name in partials:
        assert {f"rpt_{name}", f"fct_{name}"} & set(MODELS), name
    scoped = {name for name in MODELS if name.startswith("rpt_scope_")}
    assert scoped <= {f"rpt_{name}" for name in partials}


def test_the_catalogues_have_the_same_labels_and_every_label_used_exists():
    catalogues = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
                  for p in I18N_DIR.glob("*.yaml")}
    assert set(catalogues) == {"en", "zh_CN"}
    assert catalogues["en"].keys() == catalogues["zh_CN"].keys()
    used = set()
    for path in TEMPLATES_DIR.glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]*[a-z])["']""", path.read_text("utf-8")))
    for path in (ROOT / "pipeline").rglob("*.py"):
        used |= set(re.findall(r"""\.text\(\s*["']([a-z_]+)["']""", path.read_text("utf-8")))
    assert used - catalogues["en"].keys() == set()
    for key in catalogues["en"]:
        placeholders = set(re.findall(r"\{(\w+)\}", catalogues["en"][key]))
        assert placeholders == set(re.findall(r"\{(\w+)\}", catalogues["zh_CN"][key])), key


def test_every_make_target_has_help_and_help_lists_them():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"^([a-z][a-z_-]*):", makefile, re.M)
    undocumented = [t for t in targets
                    if not re.search(rf"^{t}:.*## ", makefile, re.M)]
    assert undocumented == []
    listed = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    for target in targets:
        assert re.search(rf"^\s+{target}\s", listed, re.M), target
    for target in ("run", "test", "ingest", "marts", "validate", "reports", "help"):
        assert target in targets


def test_the_readme_opens_with_the_two_commands_and_the_marts_doc_names_every_mart():
    quickstart = README[:README.index("\n## ", README.index("## Quickstart") + 1)]
    assert "make run" in quickstart and "make test" in quickstart
    for name in MODELS:
        if name.startswith(("fct_", "dim_", "rpt_")):
            assert f"`{name}`" in MARTS_DOC, name


def test_every_metric_macro_is_defined_in_the_metrics_doc():
    macros = re.findall(r"create or replace macro (\w+)",
                        (SQL_DIR / "macros" / "metrics.sql").read_text(encoding="utf-8"))
    for macro in macros:
        assert f"`{macro}`" in METRICS_DOC, macro


def _anchors(page: str) -> set[str]:
    """GitHub's anchors for a page's headings."""
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.+)$", page, re.M)}


@pytest.mark.parametrize("page", ["README.md", *sorted(f"docs/{p.name}"
                                                       for p in DOCS.glob("*.md"))])
def test_every_link_of_the_docs_leads_somewhere(page):
    path = ROOT / page
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        assert linked.exists(), f"{page}: {target}"
        if anchor and linked.suffix == ".md":
            assert anchor in _anchors(linked.read_text(encoding="utf-8")), f"{page}: {target}"


# --- the reports read only marts, and never compute over their rows ---------------------------

REPORT_CODE = sorted([*(ROOT / "pipeline" / "report" / "contexts").glob("*.py"),
                      ROOT / "pipeline" / "report" / "render.py"])
TABLE_NAME = re.compile(r"\b(?:raw|stg|int|dim|fct|rpt)_[a-z0-9_]+\b")
# pandas methods that add up, average, count, group, join or reshape rows
COMPUTING = {"sum", "mean", "median", "min", "max", "count", "nunique", "quantile", "std",
             "var", "prod", "cumsum", "cumprod", "cummax", "cummin", "diff", "pct_change",
             "agg", "aggregate", "groupby", "pivot", "pivot_table", "merge", "join",
             "value_counts", "transform", "resample", "rolling", "expanding", "apply", "eval"}
ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and node.body \
                and isinstance(node.body[0], ast.Expr) \
                and isinstance(node.body[0].value, ast.Constant):
            found.add(id(node.body[0].value))
    return found


def tables_named(source: str) -> set[str]:
    """Every table name in a string of the code (its docstrings aside)."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    return {name for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in skip for name in TABLE_NAME.findall(node.value)}


def _is_mart_value(node: ast.AST) -> bool:
    """A column or cell of mart rows: frame["x"], row["x"], frame.loc["a", "x"], or a call
    on or of one (frame["x"].fillna(0), float(row["x"]))."""
    if isinstance(node, ast.Subscript):
        keys = node.slice.elts if isinstance(node.slice, ast.Tuple | ast.List) else [node.slice]
        if all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in keys):
            return True
        return _is_mart_value(node.value)
    if isinstance(node, ast.Attribute):
        return _is_mart_value(node.value)
    if isinstance(node, ast.Call):
        return _is_mart_value(node.func) or any(_is_mart_value(a) for a in node.args)
    return False


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant)
                                               and isinstance(node.value, str))


def computations(source: str) -> list[str]:
    """What in `source` computes over mart rows instead of selecting, sorting or formatting
    them: a call of a COMPUTING method (str.join on a string aside), arithmetic with a
    column or cell of mart rows as an operand (string formatting aside), and an .isin()
    whose values are not a literal or a module constant (a filter that re-derives a scope
    from another table)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        where = getattr(node, "lineno", 0)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, owner = node.func.attr, node.func.value
            if method in COMPUTING and not (method == "join" and (
                    _is_text(owner) or isinstance(owner, ast.Call))):
                found.append((where, f".{method}()"))
            if method == "isin" and not all(
                    isinstance(a, ast.List | ast.Tuple | ast.Set)
                    or (isinstance(a, ast.Name) and a.id.isupper()) for a in node.args):
                found.append((where, ".isin() of values computed here"))
        operands = ((node.left, node.right) if isinstance(node, ast.BinOp)
                    else (node.target, node.value) if isinstance(node, ast.AugAssign)
                    else ())
        if operands and isinstance(node.op, ARITHMETIC) and not any(map(_is_text, operands)) \
                and any(map(_is_mart_value, operands)):
            found.append((where, "arithmetic on mart rows"))
    return [f"line {line}: {what}" for line, what in sorted(found)]


def test_the_report_code_reads_only_marts_with_a_contract_and_a_test():
    """The report code (pipeline/report/contexts/, pipeline/report/render.py) names a table
    only in a string; every such name must be a mart (rpt_, fct_, dim_) with a contract, named by a
    test file; an int_, stg_ or raw_ table fails. The contexts read contexts.MARTS."""
    from pipeline.report.contexts import MARTS

    named = set(MARTS)
    for path in REPORT_CODE:
        named |= tables_named(path.read_text(encoding="utf-8"))
    assert {n for n in named if not n.startswith(("rpt_", "fct_", "dim_"))} == set()
    assert named - set(SCHEMAS) == set()
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py")
                      if p.name != "test_conventions.py")
    assert {n for n in named if n not in tests} == set()


@pytest.mark.parametrize("path", REPORT_CODE, ids=lambda p: p.name)
def test_the_report_code_selects_sorts_and_formats_but_computes_nothing(path):
    """An AST scan of each report module for pandas aggregation, grouping, joins and
    arithmetic over mart rows (see computations()): those belong in SQL."""
    assert computations(path.read_text(encoding="utf-8")) == []


def test_the_scan_finds_each_kind_of_planted_violation():
    planted = '''
members = marts["int_report_scopes"]["member_id"]
mine = frame[frame["owner_id"].isin(members)]
total = mine["payout_amount"].sum()
by_owner = mine.groupby("owner_id")
named = mine.merge(marts["stg_config__channels"], on="channel")
gap = row["won_amount"] - row["target_won_amount"]
share = float(row["won_amount"]) / 2
text = ", ".join(names) + "%s" % row["x"]
kept = mine[mine["kind"].isin(KINDS) & (mine["amount"] != 0)].sort_values("amount")
'''
    assert tables_named(planted) == {"int_report_scopes", "stg_config__channels"}
    assert [f.split(": ", 1)[1] for f in computations(planted)] == [
        ".isin() of values computed here", ".sum()", ".groupby()", ".merge()",
        "arithmetic on mart rows", "arithmetic on mart rows"]

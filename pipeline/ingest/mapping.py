"""Source mappings: YAML files that map a CRM's export columns onto the canonical model.

A mapping names its files' header signature, which column feeds which canonical field, the
formats of dates, numbers and booleans, how a deal's status (open, won, lost) is decided, and
the stages of the sales pipeline in order. docs/adding-a-crm.md walks through one.

Built-in mappings live in pipeline/ingest/sources/; a user's own, in the folders of the
`sources_dirs` setting. A user's mapping is chosen over a built-in one that matches the same
header (pipeline/ingest/loading.py), and every message about a mapping names the file the user
should change: their own, or how to make one from the built-in file, never the built-in file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline import yamlfile
from pipeline.errors import ConfigError
from pipeline.ingest.canonical import ENTITIES, FORECAST_CATEGORIES, STATUSES, Entity
from pipeline.paths import ROOT, SOURCES_DIR

PROBABILITY_UNITS = ("percent", "fraction")
DEFAULT_TRUE = ("1", "true", "yes", "y")
DEFAULT_FALSE = ("0", "false", "no", "n")
TIME_TYPES = ("date", "timestamp", "month")
STAGES = "the stages"  # the part of a mapping that the config file's `stages:` may replace


@dataclass(frozen=True)
class Stage:
    stage: str
    order: int | None
    status: str
    labels: tuple[str, ...]
    probability: float | None = None  # the default when a deal has none, as a fraction
    forecast: str | None = None       # the default forecast category


@dataclass(frozen=True)
class Column:
    """Where a canonical field's value comes from: one column, a digest of several, or a
    value the mapping gives (`value`, for every row; `default`, where the column is empty or,
    when optional, missing)."""

    name: str | None = None
    occurrence: int | None = None  # which of several same-named columns; None: there is one
    optional: bool = False
    derive: tuple[str, ...] = ()
    value: str | None = None
    default: str | None = None

    @property
    def sources(self) -> tuple[str, ...]:
        return self.derive or ((self.name,) if self.name else ())

    @property
    def label(self) -> str | None:
        """The export column that messages about this field name; None for a value."""
        return self.sources[0] if self.sources else None

    @property
    def given(self) -> str | None:
        """The value the mapping itself gives, for every row or as the default."""
        return self.value if self.value is not None else self.default


@dataclass(frozen=True)
class StatusRule:
    """How a deal's status is decided when not by its stage: flags, or a column's values."""

    closed: str | None = None
    won: str | None = None
    column: str | None = None
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EntityMapping:
    source: Source
    key: str
    entity: Entity
    signature: tuple[str, ...]
    columns: dict[str, Column]
    status: StatusRule | None = None
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    add_missing_managers: bool = False

    @property
    def title(self) -> str:
        return f"{self.source.label} {self.key}"


@dataclass(frozen=True)
class Formats:
    date: tuple[str, ...] = ()
    timestamp: tuple[str, ...] = ()
    month: tuple[str, ...] = ()
    probability: str = "percent"
    thousands: str = ""
    point: str = "."
    true: tuple[str, ...] = DEFAULT_TRUE
    false: tuple[str, ...] = DEFAULT_FALSE

    def of(self, kind: str) -> tuple[str, ...]:
        return getattr(self, kind)


@dataclass(frozen=True)
class Source:
    name: str
    label: str
    path: Path
    id_prefix: str
    id_pattern: str | None
    header_case: str
    encodings: tuple[str, ...]
    footer: tuple[str, ...]
    formats: Formats
    stages: tuple[Stage, ...]
    entities: dict[str, EntityMapping]
    builtin: bool = False  # shipped in pipeline/ingest/sources/, not the user's own
    own_dirs: tuple[Path, ...] = ()  # the user's mapping folders (sources_dirs), for messages
    stages_set: bool = False  # the stages come from the config file's `stages:` setting

    def stage_labels(self) -> dict[str, Stage]:
        return {label: s for s in self.stages for label in (s.stage, *s.labels)}

    def header_key(self, name: str) -> str:
        return name.casefold() if self.header_case == "insensitive" else name

    @property
    def shown_path(self) -> str:
        """The file as a user finds it: a built-in one relative to the project."""
        return str(self.path.relative_to(ROOT)) if self.path.is_relative_to(ROOT) \
            else str(self.path)

    def advice(self, change: str, part: str) -> str:
        """Where the user makes `change` to `part` of this mapping ("add it to", "the
        stages"): their own mapping file; for a built-in mapping, a copy of it in a folder of
        their own, which is then read instead (the built-in file is never to be edited)."""
        stages = part == STAGES
        if stages and self.stages_set:
            return f"{change} stages: {{{self.name}: [...]}} in the config file"
        if not self.builtin:
            return f"{change} {part} in {self.shown_path}"
        also = (f" (or list your stages under stages: {{{self.name}: [...]}} in the config "
                "file)") if stages else ""
        return (f"copy {self.shown_path} into {self.own_folder} and {change} {part} in the "
                f"copy, which is then read instead of the built-in mapping{also}")

    @property
    def own_folder(self) -> str:
        """Where the user's own mappings go, for messages."""
        return (f"your mapping folder {self.own_dirs[0]}" if self.own_dirs else
                "a folder of your own named in the sources_dirs setting of the config file")


def load_sources(dirs: list[Path], stages: dict[str, list] | None = None) -> dict[str, Source]:
    """Every mapping file in the given folders; a later folder overrides a source by name.
    `stages` replaces a source's stage list (the `stages:` setting of the config file). The
    folders other than pipeline/ingest/sources/ are the user's own."""
    sources: dict[str, Source] = {}
    own = tuple(folder for folder in dirs if not _is_builtin(folder))
    for folder in dirs:
        if not folder.is_dir():
            raise ConfigError(f"source mapping folder {folder} does not exist")
        for path in sorted(folder.glob("*.yaml")):
            source = load_source(path, stages or {}, own)
            sources[source.name] = source
    unknown = set(stages or {}) - set(sources)
    if unknown:
        raise ConfigError(f"stages are set for unknown sources {sorted(unknown)}; "
                          f"known: {sorted(sources)}")
    return sources


def _is_builtin(folder: Path) -> bool:
    return folder.resolve() == SOURCES_DIR


def load_source(path: Path, stage_overrides: dict[str, list] | None = None,
                own_dirs: tuple[Path, ...] = ()) -> Source:
    def fail(reason: str) -> ConfigError:
        return ConfigError(f"{path}: {reason}")

    try:
        spec = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise fail(f"not valid YAML: {error}") from error
    if not isinstance(spec, dict) or not {"source", "entities"} <= spec.keys():
        raise fail("a mapping needs 'source' and 'entities'")
    unknown = set(spec) - {"source", "label", "id_prefix", "id_pattern", "header_case",
                           "encodings", "footer", "formats", "entities", "stages"}
    if unknown:
        raise fail(f"unknown keys {sorted(unknown)}")
    stages_set = str(spec["source"]) in (stage_overrides or {})
    stage_list = (stage_overrides or {}).get(str(spec["source"]), spec.get("stages"))
    stages = tuple(_stage(item, fail) for item in stage_list or [])
    _check_stages(stages, fail)
    header_case = spec.get("header_case", "exact")
    if header_case not in ("exact", "insensitive"):
        raise fail("header_case is exact or insensitive")
    source = Source(
        name=str(spec["source"]), label=str(spec.get("label", spec["source"])), path=path,
        id_prefix=str(spec.get("id_prefix") or ""), id_pattern=spec.get("id_pattern"),
        header_case=header_case,
        encodings=tuple(str(e).lower() for e in spec.get("encodings") or ()),
        footer=tuple(str(p) for p in spec.get("footer") or ()),
        formats=_formats(spec.get("formats") or {}, fail), stages=stages, entities={},
        builtin=_is_builtin(path.parent), own_dirs=own_dirs, stages_set=stages_set,
    )
    for key, entity_spec in (spec["entities"] or {}).items():
        source.entities[key] = _entity(source, str(key), entity_spec or {}, fail)
    return source


def _formats(spec: dict, fail) -> Formats:
    unknown = set(spec) - {"date", "timestamp", "month", "probability", "decimal", "boolean"}
    if unknown:
        raise fail(f"unknown formats {sorted(unknown)}")

    def listed(value) -> tuple[str, ...]:
        return tuple(str(v) for v in ([value] if isinstance(value, str) else value or []))

    if spec.get("probability", "percent") not in PROBABILITY_UNITS:
        raise fail(f"formats.probability must be one of {PROBABILITY_UNITS}")
    decimal = spec.get("decimal") or {}
    boolean = spec.get("boolean") or {}
    formats = Formats(
        date=listed(spec.get("date")), timestamp=listed(spec.get("timestamp")),
        month=listed(spec.get("month")), probability=spec.get("probability", "percent"),
        thousands=str(decimal.get("thousands", "")), point=str(decimal.get("point", ".")),
        true=tuple(str(v).lower() for v in boolean.get("true", DEFAULT_TRUE)),
        false=tuple(str(v).lower() for v in boolean.get("false", DEFAULT_FALSE)),
    )
    if formats.thousands == formats.point:
        raise fail("formats.decimal: thousands and point must differ")
    return formats


COLUMN_KEYS = {"column": {"column", "occurrence", "optional", "default"},
               "derive": {"derive", "optional"}, "value": {"value"}}


def _column(spec, field_name: str, fail) -> Column:
    if isinstance(spec, str):
        return Column(name=spec)
    if not isinstance(spec, dict):
        raise fail(f"field {field_name}: a column name or a mapping, got {spec!r}")
    form = next((key for key in COLUMN_KEYS if key in spec), None)
    if form is None:
        raise fail(f"field {field_name}: needs 'column', 'derive' or 'value'")
    unknown = set(spec) - COLUMN_KEYS[form]
    if unknown:
        raise fail(f"field {field_name}: with {form!r}, unknown keys {sorted(unknown)}; "
                   f"known: {sorted(COLUMN_KEYS[form])}")
    if form == "value":
        return Column(value=_given(spec["value"], field_name, "value", fail))
    if form == "derive":
        parts = tuple(str(c) for c in spec["derive"] or ())
        if not parts:
            raise fail(f"field {field_name}: derive lists the columns the id is made of")
        return Column(derive=parts, optional=bool(spec.get("optional", False)))
    occurrence = spec.get("occurrence")
    if occurrence is not None and (not isinstance(occurrence, int) or occurrence < 1):
        raise fail(f"field {field_name}: occurrence is a whole number from 1")
    default = spec.get("default")
    return Column(name=str(spec["column"]), occurrence=occurrence,
                  optional=bool(spec.get("optional", False)),
                  default=None if default is None else _given(default, field_name, "default",
                                                              fail))


def _given(value, field_name: str, key: str, fail) -> str:
    """A value the mapping gives, in quotes as the export would write it, and read like one.
    Unquoted, YAML would turn 00123 into the number 83 and yes into true."""
    if not isinstance(value, str) or not value.strip():
        raise fail(f"field {field_name}: {key} is written in quotes, as the export writes it "
                   f"(\"005...\", \"2026-01-31\"), got {value!r}")
    return value


def _entity(source: Source, key: str, spec: dict, fail) -> EntityMapping:
    name = spec.get("entity", key)
    if name not in ENTITIES:
        raise fail(f"{key}: unknown entity {name!r}; known: {', '.join(ENTITIES)}")
    entity = ENTITIES[name]
    columns = {f: _column(c, f, fail) for f, c in (spec.get("columns") or {}).items()}
    unknown = set(columns) - {f.name for f in entity.fields}
    if unknown:
        raise fail(f"{key}: unknown fields {sorted(unknown)}")
    if "status" in columns and entity.field("status").type == "status":
        raise fail(f"{key}: status is decided by the stage, or by status: {{closed:, won:}} "
                   "or {column:, values:}; it is not a column")
    status = _status_rule(spec.get("status"), fail, key)
    mapped = set(columns) | ({"status"} if status else set())
    unmapped = [f.name for f in entity.fields if f.required and f.name not in mapped]
    if unmapped:
        raise fail(f"{key}: required fields not mapped: {unmapped}")
    optional_required = [f for f, c in columns.items() if c.optional and entity.field(f).required]
    if optional_required:
        raise fail(f"{key}: required fields cannot be optional: {optional_required}")
    if entity.one_of and not set(entity.one_of) & mapped:
        raise fail(f"{key}: map at least one of {list(entity.one_of)}")
    for f in entity.fields:
        if f.name not in columns:
            continue
        if f.type == "stage" and not source.stages:
            raise fail(f"{key}: field {f.name} is a stage but the source lists no stages")
        kind = "month" if f.type == "period" else f.type
        if kind in TIME_TYPES and not source.formats.of(kind):
            raise fail(f"{key}: field {f.name} needs formats.{kind}")
    values = {f: {str(k): str(v) for k, v in m.items()}
              for f, m in (spec.get("values") or {}).items()}
    for f, mapping in values.items():
        if f not in columns or entity.field(f).type != "category":
            raise fail(f"{key}: values are for mapped category fields, not {f}")
        allowed = set(entity.field(f).allowed)
        if not set(mapping.values()) <= allowed:
            raise fail(f"{key}: values of {f} must map to {sorted(allowed)}")
    signature = tuple(str(c) for c in spec.get("signature") or ())
    if not signature:
        raise fail(f"{key}: a signature (header columns that identify the file) is needed")
    return EntityMapping(source, key, entity, signature, columns, status, values,
                         bool(spec.get("add_missing_managers", False)))


def _status_rule(spec, fail, key: str) -> StatusRule | None:
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise fail(f"{key}: status is {{closed:, won:}} or {{column:, values:}}")
    if "column" in spec:
        values = {str(k): str(v) for k, v in (spec.get("values") or {}).items()}
        if not values or not set(values.values()) <= set(STATUSES):
            raise fail(f"{key}: status values must map onto {STATUSES}")
        return StatusRule(column=str(spec["column"]), values=values)
    if not {"closed", "won"} <= spec.keys():
        raise fail(f"{key}: status flags need both 'closed' and 'won' columns")
    return StatusRule(closed=str(spec["closed"]), won=str(spec["won"]))


def _stage(item: dict, fail) -> Stage:
    if not isinstance(item, dict) or "stage" not in item:
        raise fail(f"each stage needs a 'stage' name, got {item!r}")
    status = item.get("status", "open")
    if status not in STATUSES:
        raise fail(f"stage {item['stage']!r}: status must be one of {STATUSES}")
    order = item.get("order")
    if status != "lost" and not isinstance(order, int):
        raise fail(f"stage {item['stage']!r}: open and won stages need an integer order")
    probability = item.get("probability")
    if probability is not None and not (isinstance(probability, int | float)
                                        and 0 <= probability <= 100):
        raise fail(f"stage {item['stage']!r}: probability is a percentage from 0 to 100")
    forecast = item.get("forecast")
    if forecast is not None and forecast not in FORECAST_CATEGORIES:
        raise fail(f"stage {item['stage']!r}: forecast must be one of {FORECAST_CATEGORIES}")
    unknown = set(item) - {"stage", "order", "status", "labels", "probability", "forecast"}
    if unknown:
        raise fail(f"stage {item['stage']!r}: unknown keys {sorted(unknown)}")
    return Stage(str(item["stage"]), order if status != "lost" else None, status,
                 tuple(str(label) for label in item.get("labels") or ()),
                 None if probability is None else probability / 100, forecast)


def _check_stages(stages: tuple[Stage, ...], fail) -> None:
    if not stages:
        return
    won = [s for s in stages if s.status == "won"]
    if len(won) != 1:
        raise fail("exactly one stage must have status won")
    orders = [s.order for s in stages if s.order is not None]
    if len(orders) != len(set(orders)):
        raise fail("stage orders must be unique")
    if any(s.order >= won[0].order for s in stages if s.status == "open"):
        raise fail("the won stage must come after every open stage")
    labels = [label for s in stages for label in (s.stage, *s.labels)]
    if len(labels) != len(set(labels)):
        raise fail("a stage label is listed twice")

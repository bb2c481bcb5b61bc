"""Source mappings: YAML files that map a CRM's export columns onto the canonical model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.canonical import ENTITIES, Entity
from pipeline.errors import ConfigError

STATUSES = ("open", "won", "lost")
PROBABILITY_UNITS = ("percent", "fraction")


@dataclass(frozen=True)
class Stage:
    stage: str
    order: int | None
    status: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class EntityMapping:
    source: Source
    entity: Entity
    signature: tuple[str, ...]
    columns: dict[str, str]

    @property
    def title(self) -> str:
        return f"{self.source.label} {self.entity.name}"


@dataclass(frozen=True)
class Source:
    name: str
    label: str
    path: Path
    id_prefix: str
    formats: dict[str, str]
    stages: tuple[Stage, ...]
    entities: dict[str, EntityMapping]

    def stage_labels(self) -> dict[str, Stage]:
        return {label: s for s in self.stages for label in (s.stage, *s.labels)}


def load_sources(dirs: list[Path]) -> dict[str, Source]:
    """Every mapping file in the given folders; a later folder overrides a source by name."""
    sources: dict[str, Source] = {}
    for folder in dirs:
        if not folder.is_dir():
            raise ConfigError(f"source mapping folder {folder} does not exist")
        for path in sorted(folder.glob("*.yaml")):
            source = load_source(path)
            sources[source.name] = source
    return sources


def load_source(path: Path) -> Source:
    def fail(reason: str) -> ConfigError:
        return ConfigError(f"{path}: {reason}")

    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise fail(f"not valid YAML: {error}") from error
    if not isinstance(spec, dict) or not {"source", "entities"} <= spec.keys():
        raise fail("a mapping needs 'source' and 'entities'")
    formats = dict(spec.get("formats") or {})
    if formats.get("probability", "percent") not in PROBABILITY_UNITS:
        raise fail(f"formats.probability must be one of {PROBABILITY_UNITS}")
    stages = tuple(_stage(item, fail) for item in spec.get("stages") or [])
    _check_stages(stages, fail)
    source = Source(
        name=str(spec["source"]), label=str(spec.get("label", spec["source"])), path=path,
        id_prefix=str(spec.get("id_prefix") or ""), formats=formats, stages=stages,
        entities={},
    )
    for name, entity_spec in (spec["entities"] or {}).items():
        if name not in ENTITIES:
            raise fail(f"unknown entity {name!r}; known: {', '.join(ENTITIES)}")
        entity = ENTITIES[name]
        columns = dict(entity_spec.get("columns") or {})
        unknown = set(columns) - {f.name for f in entity.fields}
        if unknown:
            raise fail(f"entity {name}: unknown fields {sorted(unknown)}")
        unmapped = [f.name for f in entity.fields if f.required and f.name not in columns]
        if unmapped:
            raise fail(f"entity {name}: required fields not mapped: {unmapped}")
        if any(f.type == "stage" for f in entity.fields if f.name in columns) and not stages:
            raise fail(f"entity {name} maps a stage but the source lists no stages")
        for f in entity.fields:
            if f.name in columns and f.type in ("date", "timestamp", "month") \
                    and f.type not in formats:
                raise fail(f"entity {name}: field {f.name} needs formats.{f.type}")
        signature = tuple(entity_spec.get("signature") or ())
        if not signature:
            raise fail(f"entity {name}: a signature (header columns that identify it) is needed")
        source.entities[name] = EntityMapping(source, entity, signature, columns)
    return source


def _stage(item: dict, fail) -> Stage:
    if not isinstance(item, dict) or "stage" not in item:
        raise fail(f"each stage needs a 'stage' name, got {item!r}")
    status = item.get("status", "open")
    if status not in STATUSES:
        raise fail(f"stage {item['stage']!r}: status must be one of {STATUSES}")
    order = item.get("order")
    if status != "lost" and not isinstance(order, int):
        raise fail(f"stage {item['stage']!r}: open and won stages need an integer order")
    return Stage(str(item["stage"]), order if status != "lost" else None, status,
                 tuple(str(label) for label in item.get("labels") or ()))


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

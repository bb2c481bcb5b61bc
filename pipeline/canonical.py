"""The canonical model every source is mapped onto: one raw table per entity, typed columns.

A source mapping (pipeline/sources/*.yaml) says which export column feeds which field here.
`required` fields must be mapped to a column present in the file; `not_null` fields must
hold a value on every row, or the row is quarantined in raw_rejects.
"""

from __future__ import annotations

from dataclasses import dataclass

TYPES = {
    "id": "varchar",
    "text": "varchar",
    "stage": "varchar",
    "decimal": "decimal(18, 2)",
    "integer": "bigint",
    "date": "date",
    "timestamp": "timestamp",
    "month": "date",
    "probability": "double",
}

LINEAGE_COLUMNS = {"source": "varchar", "file_id": "integer", "record_number": "bigint"}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool = False
    not_null: bool = False
    allowed: tuple[str, ...] = ()
    minimum: int | None = None


@dataclass(frozen=True)
class Entity:
    name: str
    table: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _key(name: str, type_: str = "id") -> Field:
    return Field(name, type_, required=True, not_null=True)


ENTITIES: dict[str, Entity] = {e.name: e for e in [
    Entity("deals", "raw_crm__deals", (
        _key("deal_id"),
        Field("deal_name", "text", required=True),
        Field("owner_id", "id", required=True, not_null=True),
        Field("owner_name", "text"),
        Field("account_id", "id"),
        Field("account_name", "text"),
        Field("amount", "decimal", required=True, minimum=0),
        Field("close_date", "date", required=True, not_null=True),
        Field("stage", "stage", required=True, not_null=True),
        Field("deal_type", "text"),
        Field("probability", "probability"),
        Field("next_step", "text"),
        Field("lead_source", "text"),
        Field("loss_reason", "text"),
        Field("created_at", "timestamp", required=True, not_null=True),
        Field("modified_at", "timestamp", required=True, not_null=True),
    )),
    Entity("deal_stage_history", "raw_crm__deal_stage_history", (
        _key("history_id"),
        Field("deal_id", "id", required=True, not_null=True),
        Field("from_stage", "stage", required=True, not_null=True),
        Field("to_stage", "stage", required=True, not_null=True),
        Field("amount", "decimal", minimum=0),
        Field("close_date", "date"),
        Field("probability", "probability"),
        Field("stage_duration_days", "integer", minimum=0),
        Field("moved_by_id", "id"),
        Field("moved_at", "timestamp", required=True, not_null=True),
    )),
    Entity("accounts", "raw_crm__accounts", (
        _key("account_id"),
        Field("account_name", "text", required=True),
        Field("owner_id", "id"),
        Field("owner_name", "text"),
        Field("account_type", "text"),
        Field("industry", "text"),
    )),
    Entity("calls", "raw_crm__calls", (
        _key("call_id"),
        Field("subject", "text"),
        Field("call_type", "text"),
        Field("started_at", "timestamp", required=True, not_null=True),
        Field("duration_seconds", "integer", minimum=0),
        Field("owner_id", "id", required=True, not_null=True),
        Field("owner_name", "text"),
        Field("related_id", "id"),
        Field("related_name", "text"),
    )),
    Entity("tasks", "raw_crm__tasks", (
        _key("task_id"),
        Field("subject", "text"),
        Field("due_date", "date", required=True),
        Field("status", "text", required=True),
        Field("priority", "text"),
        Field("owner_id", "id", required=True, not_null=True),
        Field("owner_name", "text"),
        Field("related_id", "id"),
        Field("related_name", "text"),
    )),
    Entity("meetings", "raw_crm__meetings", (
        _key("meeting_id"),
        Field("title", "text"),
        Field("started_at", "timestamp", required=True, not_null=True),
        Field("ended_at", "timestamp"),
        Field("owner_id", "id", required=True, not_null=True),
        Field("owner_name", "text"),
        Field("related_id", "id"),
        Field("related_name", "text"),
    )),
    Entity("org", "raw_ops__org", (
        _key("user_id"),
        Field("name", "text", required=True, not_null=True),
        Field("email", "text", required=True),
        Field("manager_id", "id", required=True),
        Field("team", "text", required=True),
        Field("region", "text", required=True),
    )),
    Entity("targets", "raw_ops__targets", (
        Field("period", "month", required=True, not_null=True),
        Field("user_id", "id", required=True, not_null=True),
        Field("metric", "text", required=True, not_null=True, allowed=("won_amount",)),
        Field("target", "decimal", required=True, not_null=True, minimum=0),
    )),
]}

# A run cannot make sense of the CRM without these.
REQUIRED_ENTITIES = ("deals", "org")

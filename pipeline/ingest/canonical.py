"""The canonical model every source is mapped onto: one raw table per entity, typed columns.

A source mapping (pipeline/ingest/sources/*.yaml) says which export column feeds which field here.
`required` fields must be mapped by every mapping of the entity and present in the file;
`not_null` fields must hold a value on every row, or the row is quarantined in raw_rejects.
"""

from __future__ import annotations

from dataclasses import dataclass

TYPES = {
    "id": "varchar",
    "text": "varchar",
    "stage": "varchar",
    "status": "varchar",
    "category": "varchar",
    "decimal": "decimal(18, 2)",
    "rate": "decimal(18, 8)",
    "integer": "bigint",
    "date": "date",
    "timestamp": "timestamp",
    "month": "date",
    "period": "varchar",
    "probability": "double",
    "boolean": "boolean",
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
    # at least one of these fields must hold a value on each row (an owner by id or name)
    one_of: tuple[str, ...] = ()
    one_of_reason: str = "an owner is required (an id or a name)"
    # and no more than one of them, when set
    only_one_reason: str | None = None
    # (field, condition, reason): a row whose typed values meet the condition is quarantined
    # under that field's column; the condition names fields as {field}
    checks: tuple[tuple[str, str, str], ...] = ()

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _key(name: str) -> Field:
    return Field(name, "id", required=True, not_null=True)


OWNER = (Field("owner_id", "id"), Field("owner_name", "text"))
ACTIVITY_TYPES = ("call", "meeting", "task")
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
TARGET_METRICS = ("won_amount", "won_count", "new_customers", "activities", "satisfaction")
SATISFACTION_SCALES = ("1-5", "0-10")

ENTITIES: dict[str, Entity] = {e.name: e for e in [
    Entity("deals", "raw_crm__deals", (
        _key("deal_id"),
        Field("deal_name", "text", required=True),
        *OWNER,
        Field("account_id", "id"),
        Field("account_name", "text"),
        Field("amount", "decimal", required=True, minimum=0),
        Field("currency", "text"),
        Field("close_date", "date", required=True),
        Field("stage", "stage", required=True, not_null=True),
        Field("status", "status"),
        Field("deal_type", "text"),
        Field("probability", "probability"),
        Field("forecast_category", "category", allowed=FORECAST_CATEGORIES),
        Field("next_step", "text"),
        Field("lead_source", "text"),
        Field("loss_reason", "text"),
        # sales channel: the CRM's own channel field, and the partner account (an agent or a
        # distributor) the deal goes through; config/channels.yaml turns them into a channel
        Field("channel", "text"),
        Field("partner_id", "id"),
        Field("partner_name", "text"),
        Field("is_deleted", "boolean"),
        Field("created_at", "timestamp"),
        Field("modified_at", "timestamp"),
    ), one_of=("owner_id", "owner_name")),
    Entity("deal_stage_history", "raw_crm__deal_stage_history", (
        _key("history_id"),
        Field("deal_id", "id", required=True, not_null=True),
        Field("from_stage", "stage"),
        Field("to_stage", "stage", required=True, not_null=True),
        Field("amount", "decimal", minimum=0),
        Field("close_date", "date"),
        Field("probability", "probability"),
        Field("forecast_category", "category", allowed=FORECAST_CATEGORIES),
        Field("stage_duration_days", "integer", minimum=0),
        Field("moved_by_id", "id"),
        Field("is_deleted", "boolean"),
        Field("moved_at", "timestamp", required=True, not_null=True),
    )),
    Entity("accounts", "raw_crm__accounts", (
        _key("account_id"),
        Field("account_name", "text", required=True),
        *OWNER,
        Field("account_type", "text"),
        Field("industry", "text"),
        Field("created_at", "timestamp"),
        Field("is_deleted", "boolean"),
    )),
    Entity("users", "raw_crm__users", (
        _key("user_id"),
        Field("name", "text", required=True),
        Field("email", "text"),
        Field("is_active", "boolean"),
    )),
    Entity("calls", "raw_crm__calls", (
        _key("call_id"),
        Field("subject", "text"),
        Field("call_type", "text"),
        Field("started_at", "timestamp", required=True, not_null=True),
        Field("duration_seconds", "integer", minimum=0),
        *OWNER,
        Field("related_id", "id"),
        Field("related_name", "text"),
    ), one_of=("owner_id", "owner_name")),
    Entity("tasks", "raw_crm__tasks", (
        _key("task_id"),
        Field("subject", "text"),
        Field("due_date", "date", required=True),
        Field("status", "text", required=True),
        Field("priority", "text"),
        *OWNER,
        Field("related_id", "id"),
        Field("related_name", "text"),
        Field("is_deleted", "boolean"),
    ), one_of=("owner_id", "owner_name")),
    Entity("meetings", "raw_crm__meetings", (
        _key("meeting_id"),
        Field("title", "text"),
        Field("started_at", "timestamp", required=True, not_null=True),
        Field("ended_at", "timestamp"),
        *OWNER,
        Field("related_id", "id"),
        Field("related_name", "text"),
    ), one_of=("owner_id", "owner_name")),
    # follow-up logs of CRMs that record every contact in one list (Fxiaoke 跟进记录)
    Entity("activities", "raw_crm__activities", (
        _key("activity_id"),
        Field("activity_type", "category", required=True, not_null=True,
              allowed=ACTIVITY_TYPES),
        Field("subject", "text"),
        Field("started_at", "timestamp", required=True, not_null=True),
        *OWNER,
        Field("related_id", "id"),
        Field("related_name", "text"),
    ), one_of=("owner_id", "owner_name")),
    Entity("org", "raw_ops__org", (
        _key("user_id"),
        Field("name", "text", required=True, not_null=True),
        Field("email", "text"),
        Field("manager_id", "id", required=True),
        Field("team", "text"),
        Field("region", "text"),
    )),
    # exchange rates: one unit of `currency` is worth `rate` of the reporting currency
    Entity("fx_rates", "raw_ops__fx_rates", (
        Field("rate_date", "date", required=True, not_null=True),
        Field("currency", "text", required=True, not_null=True),
        Field("rate", "rate", required=True, not_null=True, minimum=0),
    )),
    # a target per rep (user_id) or team, per month (YYYY-MM) or fiscal quarter (YYYY-Qn)
    Entity("targets", "raw_ops__targets", (
        Field("period", "period", required=True, not_null=True),
        Field("user_id", "id"),
        Field("team", "text"),
        Field("metric", "text", required=True, not_null=True, allowed=TARGET_METRICS),
        Field("target", "decimal", required=True, not_null=True, minimum=0),
    ), one_of=("user_id", "team"), one_of_reason="a user_id or a team is required",
        only_one_reason="a target is for a rep (user_id) or a team, not both"),
    # customer survey answers, each on the scale it declares (1-5, or 0-10 for NPS)
    Entity("satisfaction", "raw_ops__satisfaction", (
        Field("response_date", "date", required=True, not_null=True),
        Field("account_id", "id"),
        Field("deal_id", "id"),
        Field("score", "decimal", required=True, not_null=True, minimum=0),
        Field("scale", "text", required=True, not_null=True, allowed=SATISFACTION_SCALES),
        Field("comment", "text"),
    ), one_of=("account_id", "deal_id"), one_of_reason="an account_id or a deal_id is required",
        checks=(("score", "{score} not between try_cast(split_part({scale}, '-', 1) as integer) "
                 "and try_cast(split_part({scale}, '-', 2) as integer)",
                 "outside the scale the row declares"),)),
    # the cost of selling, per month or fiscal quarter, for a team, a channel or the company
    Entity("costs", "raw_ops__costs", (
        Field("period", "period", required=True, not_null=True),
        Field("team", "text"),
        Field("channel", "text"),
        Field("category", "text", required=True, not_null=True),
        Field("amount", "decimal", required=True, not_null=True, minimum=0),
    )),
    # the size of each region's market, per month or fiscal quarter
    Entity("market", "raw_ops__market", (
        Field("region", "text", required=True, not_null=True),
        Field("period", "period", required=True, not_null=True),
        Field("market_size", "decimal", required=True, not_null=True, minimum=0),
    )),
]}

# A run cannot make sense of the CRM without these.
REQUIRED_ENTITIES = ("deals", "org")
STATUSES = ("open", "won", "lost")

"""A few hand-made CRM rows in the canonical raw tables, built into marts in memory.

Tests say only what matters to them: `crm.deal("d1", stage="Closed Won", amount=300)`;
every other column gets a plain default. `crm.build(as_of)` runs the real sql/ models:
`rows()` and `row()` build what their query reads and everything upstream of it (with the
audits over those tables), and `con` builds every model first, so a test pays only for the
models it reads. `build_all()` builds every model at once, for a test that expects the build
itself to fail.
"""

from __future__ import annotations

from datetime import date, datetime
from itertools import count
from pathlib import Path

import duckdb

from pipeline.config import Config
from pipeline.ingest.canonical import ENTITIES
from pipeline.ingest.channels import load_channels
from pipeline.ingest.inbox import _create_raw_tables
from pipeline.ingest.incentives import load_incentives
from pipeline.ingest.loss_reasons import load_loss_reasons
from pipeline.ingest.mapping import load_sources
from pipeline.ingest.rules import load_rules
from pipeline.paths import DEFAULT_CHANNELS, DEFAULT_RULES, SOURCES_DIR
from pipeline.warehouse.build import (
    IDENTIFIER,
    build_models,
    discover_models,
    run_audits,
    select_models,
)
from pipeline.warehouse.db import creating_in
from pipeline.warehouse.history import load_history


def _ts(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value if " " in value or "T" in value else value + " 00:00:00")


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


MODELS = discover_models()
SOURCES = load_sources([SOURCES_DIR])


class Crm:
    def __init__(self) -> None:
        self._con = duckdb.connect()
        self._config: Config | None = None  # the settings of a build not yet made in full
        self._built: set[str] = set()
        with creating_in(self._con, "raw"):  # as the ingest step does
            _create_raw_tables(self._con, SOURCES)
            load_history(self._con, Config(out=Path("/nonexistent-history")))
            load_rules(self._con, DEFAULT_RULES)
            load_channels(self._con, DEFAULT_CHANNELS)
            load_incentives(self._con, None, set())
            load_loss_reasons(self._con, None)
        self._records = count(1)
        self._ids = count(1)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The warehouse, with every model of a pending build built."""
        if self._config is not None and len(self._built) < len(MODELS):
            self._build_every_model()
        return self._con

    def _build_every_model(self) -> None:
        build_models(self._con, self._config)
        self._built = set(MODELS)

    def _build_for(self, sql: str) -> None:
        """Build the models `sql` reads and their upstream, which an earlier query has not."""
        if self._config is None:
            return
        reads = [f"+{name}" for name in set(IDENTIFIER.findall(sql)) if name in MODELS]
        needed = (select_models(MODELS, reads) if reads else set()) - self._built
        if needed:
            build_models(self._con, self._config, select=sorted(needed))
            self._built |= needed
            run_audits(self._con, self._config, chosen=self._built)

    def _insert(self, entity: str, values: dict, *, source: str = "zoho_crm",
                file_id: int = 1) -> None:
        table = ENTITIES[entity].table
        row = {"source": source, "file_id": file_id, "record_number": next(self._records),
               **values}
        columns = ", ".join(row)
        placeholders = ", ".join("?" for _ in row)
        self._con.execute(f"insert into {table} ({columns}) values ({placeholders})",
                          list(row.values()))

    def person(self, user_id: str, name: str | None = None, *, manager: str | None = None,
               team: str | None = "East", region: str | None = "R1") -> Crm:
        self._insert("org", {"user_id": user_id, "name": name or user_id.upper(),
                             "email": f"{user_id}@example.com", "manager_id": manager,
                             "team": team, "region": region}, source="sales_ops")
        return self

    def deal(self, deal_id: str, *, owner: str = "r1", stage: str = "Qualification",
             amount: float | None = 100, created: str = "2026-01-05 09:00:00",
             close: str | None = "2026-02-15", modified: str | None = None,
             loss_reason: str | None = None, name: str | None = None,
             currency: str | None = None, probability: float | None = None,
             forecast: str | None = None, account: str = "a1", next_step: str | None = None,
             lead_source: str | None = None, deal_type: str | None = None,
             channel: str | None = None, partner: str | None = None,
             file_id: int = 1) -> Crm:
        self._insert("deals", {
            "deal_id": deal_id, "deal_name": name or f"Deal {deal_id}", "owner_id": owner,
            "owner_name": owner.upper(), "account_id": account,
            "account_name": f"Account {account}", "next_step": next_step,
            "amount": amount, "close_date": _day(close), "stage": stage,
            "loss_reason": loss_reason, "created_at": _ts(created),
            "modified_at": _ts(modified or created), "currency": currency,
            "probability": probability, "forecast_category": forecast,
            "lead_source": lead_source, "deal_type": deal_type, "channel": channel,
            "partner_id": partner, "partner_name": partner and f"Partner {partner}",
        }, file_id=file_id)
        return self

    def move(self, deal_id: str, from_stage: str, to_stage: str, at: str, *,
             amount: float | None = None, close: str | None = None) -> Crm:
        self._insert("deal_stage_history", {
            "history_id": f"h{next(self._ids)}", "deal_id": deal_id, "from_stage": from_stage,
            "to_stage": to_stage, "moved_at": _ts(at), "amount": amount,
            "close_date": _day(close)})
        return self

    def recorded(self, as_of: str, deal_id: str, *, owner: str = "r1", team: str = "East",
                 stage: str = "Qualification", status: str = "open", amount: float = 100,
                 close: str = "2026-03-30", currency: str = "CNY",
                 created: str = "2026-01-05", forecast: str | None = None) -> Crm:
        """The state an earlier run recorded (out/history/deal_states/<as_of>.parquet)."""
        self._con.execute(
            "insert into raw_history__deal_states by name select $as_of::date as as_of_date, "
            "'zoho_crm' as source, $deal as deal_id, $owner as owner_id, $team as team, "
            "$stage as stage, $status as status, $amount::decimal(18, 2) as amount, "
            "$currency as currency, $close::date as close_date, $created::date as created_date, "
            "$forecast as forecast_category",
            {"as_of": as_of, "deal": deal_id, "owner": owner, "team": team, "stage": stage,
             "status": status, "amount": amount, "close": close, "currency": currency,
             "created": created, "forecast": forecast})
        return self

    def recorded_org(self, as_of: str, user_id: str, team: str | None,
                     manager: str | None = None) -> Crm:
        self._con.execute(
            "insert into raw_history__org by name select $as_of::date as as_of_date, "
            "$user as user_id, $user as name, $manager as manager_id, $team as team",
            {"as_of": as_of, "user": user_id, "manager": manager, "team": team})
        return self

    def recorded_violation(self, as_of: str, rule_id: str, record_id: str, *, owner: str,
                           first_seen: str, record_type: str = "deal") -> Crm:
        """An open violation an earlier run recorded (out/history/violations/)."""
        self._con.execute(
            "insert into raw_history__violations by name select $as_of::date as as_of_date, "
            "$rule as rule_id, $type as record_type, $record as record_id, $owner as owner_id, "
            "'warning' as severity, $first::date as first_seen_date",
            {"as_of": as_of, "rule": rule_id, "type": record_type, "record": record_id,
             "owner": owner, "first": first_seen})
        return self

    def rate(self, day: str, currency: str, rate: float) -> Crm:
        self._insert("fx_rates", {"rate_date": _day(day), "currency": currency, "rate": rate},
                     source="sales_ops")
        return self

    def account(self, account_id: str, *, owner: str = "r1", tier: str | None = None,
                created: str | None = None, name: str | None = None) -> Crm:
        self._insert("accounts", {"account_id": account_id,
                                  "account_name": name or f"Account {account_id}",
                                  "owner_id": owner, "account_type": tier,
                                  "created_at": _ts(created)})
        return self

    def call(self, owner: str, at: str, *, about: str | None = None) -> Crm:
        self._insert("calls", {"call_id": f"c{next(self._ids)}", "owner_id": owner,
                               "started_at": _ts(at), "related_id": about})
        return self

    def meeting(self, owner: str, at: str, *, about: str | None = None) -> Crm:
        self._insert("meetings", {"meeting_id": f"m{next(self._ids)}", "owner_id": owner,
                                  "started_at": _ts(at), "related_id": about})
        return self

    def task(self, owner: str, due: str | None, status: str = "Completed", *,
             about: str | None = None, task_id: str | None = None) -> Crm:
        self._insert("tasks", {"task_id": task_id or f"t{next(self._ids)}", "owner_id": owner,
                               "due_date": _day(due), "status": status, "related_id": about,
                               "subject": task_id})
        return self

    def rules(self, text: str, folder: Path) -> Crm:
        """Replace the default discipline rules with these (YAML)."""
        path = folder / "rules.yaml"
        path.write_text(text, encoding="utf-8")
        with creating_in(self._con, "raw"):
            load_rules(self._con, path)
        return self

    def channels(self, text: str, folder: Path) -> Crm:
        """Replace the default channels file with this one (YAML)."""
        path = folder / "channels.yaml"
        path.write_text(text, encoding="utf-8")
        with creating_in(self._con, "raw"):
            load_channels(self._con, path)
        return self

    def incentives(self, text: str, folder: Path) -> Crm:
        """A commission plan file (YAML), checked against the discipline rules loaded."""
        path = folder / "incentives.yaml"
        path.write_text(text, encoding="utf-8")
        rule_ids = {r[0] for r in self._con.execute("select rule_id from raw_config__rules")
                    .fetchall()}
        with creating_in(self._con, "raw"):
            load_incentives(self._con, path, rule_ids)
        return self

    def loss_reasons(self, text: str, folder: Path) -> Crm:
        """A loss-reason file (YAML)."""
        path = folder / "loss_reasons.yaml"
        path.write_text(text, encoding="utf-8")
        with creating_in(self._con, "raw"):
            load_loss_reasons(self._con, path)
        return self

    def target(self, user_id: str | None, period: str, amount: float, *,
               metric: str = "won_amount", team: str | None = None) -> Crm:
        """A line of targets.csv: period '2026-03' or '2026-Q1'."""
        self._insert("targets", {"period": period, "user_id": user_id, "team": team,
                                 "metric": metric, "target": amount}, source="sales_ops")
        return self

    def answer(self, day: str, score: float, *, scale: str = "0-10",
               account: str | None = None, deal: str | None = None) -> Crm:
        """A line of satisfaction.csv."""
        self._insert("satisfaction", {"response_date": _day(day), "account_id": account,
                                      "deal_id": deal, "score": score, "scale": scale},
                     source="sales_ops")
        return self

    def cost(self, period: str, amount: float, *, team: str | None = None,
             channel: str | None = None, category: str = "travel") -> Crm:
        """A line of costs.csv."""
        self._insert("costs", {"period": period, "team": team, "channel": channel,
                               "category": category, "amount": amount}, source="sales_ops")
        return self

    def market(self, region: str, period: str, size: float) -> Crm:
        """A line of market.csv."""
        self._insert("market", {"region": region, "period": period, "market_size": size},
                     source="sales_ops")
        return self

    def build(self, as_of: str = "2026-03-31", *, window_months: int = 6,
              fiscal_start: int = 1, currency: str = "CNY") -> Crm:
        """Build with these settings, as each query needs it (see the module's docstring)."""
        self._config = Config(as_of=date.fromisoformat(as_of),
                              funnel_window_months=window_months,
                              fiscal_year_start_month=fiscal_start, currency=currency)
        self._built = set()
        self._con.execute("drop table if exists pipeline.pipeline_state")
        return self

    def build_all(self, as_of: str = "2026-03-31", **settings) -> Crm:
        """Build every model now, with every audit."""
        self.build(as_of, **settings)
        self._build_every_model()
        return self

    def rows(self, sql: str, params=None) -> list[dict]:
        self._build_for(sql)
        cursor = self._con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]

    def row(self, sql: str, params=None) -> dict:
        found = self.rows(sql, params)
        assert len(found) == 1, f"expected one row, got {found}"
        return found[0]


"""Run settings: the config file, then the command line. The only module that reads os.environ."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import yaml

from pipeline.errors import ConfigError
from pipeline.ingest.canonical import SATISFACTION_SCALES
from pipeline.paths import (
    DEFAULT_CHANNELS,
    DEFAULT_CONFIG,
    DEFAULT_INCENTIVES,
    DEFAULT_RULES,
    SAMPLE_DIR,
    SOURCES_DIR,
)

LANGUAGES = ("zh_CN", "en")


@dataclass(frozen=True)
class Config:
    inbox: Path = SAMPLE_DIR
    out: Path = Path("out")
    as_of: date = field(default_factory=date.today)
    language: str = "zh_CN"
    currency: str = "CNY"
    funnel_window_months: int = 6
    fiscal_year_start_month: int = 1
    reject_threshold: float = 0.01
    sources_dirs: tuple[Path, ...] = ()
    timezone: str = "Asia/Shanghai"
    settle_seconds: float = 1.0
    stages: dict = field(default_factory=dict)
    rules_file: Path = DEFAULT_RULES
    incentives_file: Path = DEFAULT_INCENTIVES
    channels_file: Path = DEFAULT_CHANNELS
    recipients_file: Path | None = None
    loss_reasons_file: Path | None = None
    threads: int = 2
    memory_limit: str = "3GB"
    tier_a_share: float = 0.80
    tier_b_share: float = 0.95
    churn_risk_tiers: tuple[str, ...] = ("A",)
    churn_risk_days: int = 60
    satisfaction_scale: str = "0-10"
    stale_after_days: int = 3
    stale_action: str = "warn"
    mail_attempts: int = 4
    mail_backoff_seconds: float = 30.0
    attach_spreadsheets: bool = False
    # the release a step writes (out/.releases/<name>/: see pipeline/control/publish.py), and where
    # a run's validation results go before it is published
    release_dir: Path | None = None
    validation_folder: Path | None = None

    @property
    def warehouse(self) -> Path:
        """The warehouse of the release being written, else the published one."""
        return (self.release_dir or self.out) / "warehouse.duckdb"

    @property
    def published_warehouse(self) -> Path:
        return self.out / "warehouse.duckdb"

    @property
    def validation_dir(self) -> Path:
        return self.validation_folder or (self.release_dir or self.out) / "validation"

    @property
    def reports_dir(self) -> Path:
        return self.out / "reports"

    @property
    def delivery_log(self) -> Path:
        return self.out / "delivery.sqlite"

    @property
    def outbox_dir(self) -> Path:
        return self.out / "outbox"

    @property
    def runs_dir(self) -> Path:
        return self.out / "runs"

    @property
    def history_dir(self) -> Path:
        """The published history records, which a build reads."""
        return self.out / "history"

    @property
    def history_target(self) -> Path:
        """Where the snapshot step writes this date's records."""
        return (self.release_dir or self.out) / "history"

    @property
    def mapping_dirs(self) -> list[Path]:
        return [SOURCES_DIR, *self.sources_dirs]


FILE_KEYS = {"language", "currency", "funnel_window_months", "fiscal_year_start_month",
             "reject_threshold", "sources_dirs", "timezone", "settle_seconds", "stages",
             "rules_file", "recipients_file", "threads", "memory_limit", "stale_after_days",
             "stale_action", "mail_attempts", "mail_backoff_seconds", "tier_a_share",
             "tier_b_share", "churn_risk_tiers", "churn_risk_days", "satisfaction_scale",
             "incentives_file", "channels_file", "loss_reasons_file", "attach_spreadsheets"}


def load_config(path: Path | None = None, **overrides) -> Config:
    """Defaults, then the config file, then the non-None overrides (the command line)."""
    path = path or Path(os.environ.get("PIPELINE_CONFIG", DEFAULT_CONFIG))
    values = _read(path) if path.exists() else {}
    if path != DEFAULT_CONFIG and not path.exists():
        raise ConfigError(f"config file {path} does not exist")
    values |= {k: v for k, v in overrides.items() if v is not None}
    config = replace(Config(), **values)
    return _checked(config)


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings")
    unknown = set(data) - FILE_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown settings {sorted(unknown)}; known: {sorted(FILE_KEYS)}")
    # paths in the file are relative to the file's own folder
    if "sources_dirs" in data:
        data["sources_dirs"] = tuple(path.parent / p for p in data["sources_dirs"] or ())
    for key in ("rules_file", "channels_file", "recipients_file", "incentives_file",
                "loss_reasons_file"):
        if key in data:
            data[key] = path.parent / data[key]
    if not isinstance(data.get("stages", {}), dict):
        raise ConfigError(f"{path}: stages maps a source name to its list of stages")
    return data


def _checked(config: Config) -> Config:
    if config.language not in LANGUAGES:
        raise ConfigError(f"language must be one of {LANGUAGES}, got {config.language!r}")
    if not (isinstance(config.funnel_window_months, int) and config.funnel_window_months >= 1):
        raise ConfigError("funnel_window_months must be a whole number of months, at least 1")
    if config.fiscal_year_start_month not in range(1, 13):
        raise ConfigError("fiscal_year_start_month is the month the fiscal year starts, 1-12")
    if not 0 <= float(config.reject_threshold) <= 1:
        raise ConfigError("reject_threshold must be a fraction between 0 and 1")
    if float(config.settle_seconds) < 0:
        raise ConfigError("settle_seconds must not be negative")
    if not set(config.churn_risk_tiers) <= {"A", "B", "C"}:
        raise ConfigError("churn_risk_tiers lists value tiers: A, B or C")
    for key in ("threads", "stale_after_days", "mail_attempts", "churn_risk_days"):
        if not (isinstance(getattr(config, key), int) and getattr(config, key) >= 1):
            raise ConfigError(f"{key} must be a positive whole number")
    if not 0 < float(config.tier_a_share) < float(config.tier_b_share) < 1:
        raise ConfigError("tier_a_share and tier_b_share are fractions of the won amount, "
                          "0 < tier_a_share < tier_b_share < 1 (0.8 and 0.95: ABC)")
    if config.satisfaction_scale not in SATISFACTION_SCALES:
        raise ConfigError(f"satisfaction_scale is one of {', '.join(SATISFACTION_SCALES)}")
    if config.stale_action not in ("warn", "fail"):
        raise ConfigError("stale_action must be warn or fail")
    if float(config.mail_backoff_seconds) < 0:
        raise ConfigError("mail_backoff_seconds must not be negative")
    return config


class Secret:
    """A value that never shows itself in a repr, a log line or a traceback."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    sender: str
    user: str = ""
    password: Secret = field(default_factory=lambda: Secret(""))
    timeout: float = 30.0
    ca_file: Path | None = None


SECURITY_PORTS = {"starttls": 587, "tls": 465, "none": 25}
LOOPBACK = ("localhost", "127.0.0.1", "::1")


def smtp_settings(environ=None) -> SmtpSettings:
    """The mail server, from SMTP_HOST, SMTP_PORT, SMTP_SECURITY (starttls, tls or none),
    SMTP_USER, SMTP_PASSWORD, MAIL_FROM, and optionally SMTP_TIMEOUT and SMTP_CA_FILE."""
    env = os.environ if environ is None else environ
    missing = [k for k in ("SMTP_HOST", "MAIL_FROM") if not env.get(k)]
    if missing:
        raise ConfigError(f"sending mail needs {' and '.join(missing)} in the environment; "
                          "use --dry-run to write the messages to out/outbox/ instead")
    security = env.get("SMTP_SECURITY", "starttls").lower()
    if security not in SECURITY_PORTS:
        raise ConfigError(f"SMTP_SECURITY must be one of {sorted(SECURITY_PORTS)}, "
                          f"got {security!r}")
    host = env["SMTP_HOST"]
    if security == "none" and host not in LOOPBACK:
        raise ConfigError("SMTP_SECURITY=none is allowed only for a server on this machine; "
                          "use starttls or tls")
    if env.get("SMTP_PASSWORD") and security == "none":
        raise ConfigError("a password is never sent without TLS; set SMTP_SECURITY")
    try:
        port = int(env.get("SMTP_PORT") or SECURITY_PORTS[security])
        timeout = float(env.get("SMTP_TIMEOUT") or 30)
    except ValueError as error:
        raise ConfigError(f"SMTP_PORT and SMTP_TIMEOUT must be numbers: {error}") from None
    ca_file = Path(env["SMTP_CA_FILE"]) if env.get("SMTP_CA_FILE") else None
    return SmtpSettings(host=host, port=port, security=security, sender=env["MAIL_FROM"],
                        user=env.get("SMTP_USER", ""),
                        password=Secret(env.get("SMTP_PASSWORD", "")), timeout=timeout,
                        ca_file=ca_file)

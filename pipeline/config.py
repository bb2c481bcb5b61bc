"""Run settings: the config file, then the command line. The only module that reads os.environ."""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from functools import cache
from pathlib import Path, PurePath
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import yaml

from pipeline import yamlfile
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
    extra_inbox_files: tuple[Path, ...] = ()
    attach_spreadsheets: bool = False
    timezone: str = "Asia/Shanghai"
    settle_seconds: float = 1.0
    stages: dict = field(default_factory=dict)
    rules_file: Path = DEFAULT_RULES
    incentives_file: Path = DEFAULT_INCENTIVES
    channels_file: Path = DEFAULT_CHANNELS
    recipients_file: Path | None = None
    loss_reasons_file: Path | None = None
    threads: int = 2
    memory_limit: str = "1.5GB"
    # where the models run: embedded DuckDB, or Spark over the raw_ tables as Parquet
    # (docs/SCALING.md); spark_conf is passed to the Spark session as it is
    engine: str = "duckdb"
    spark_master: str = "local[*]"
    spark_conf: dict = field(default_factory=dict)
    spark_dir: Path | None = None
    tier_a_share: float = 0.80
    tier_b_share: float = 0.95
    churn_risk_tiers: tuple[str, ...] = ("A",)
    churn_risk_days: int = 60
    satisfaction_scale: str = "0-10"
    stale_after_days: int = 3
    stale_action: str = "warn"
    mail_attempts: int = 4
    mail_backoff_seconds: float = 30.0
    # the team group robots (WeCom, DingTalk, Feishu) that get each scope's morning summary:
    # see CHAT_KEYS and docs/chat.md
    chat: tuple[dict, ...] = ()
    chat_attempts: int = 4
    chat_backoff_seconds: float = 30.0
    reports_url: str | None = None
    # the release a step writes (out/.releases/<name>/: see pipeline/control/publish.py), and where
    # a run's validation results go before it is published
    release_dir: Path | None = None
    validation_folder: Path | None = None

    @property
    def warehouse(self) -> Path:
        """The warehouse of the release being written, else the published one."""
        return (self.release_dir or self.out) / "warehouse.duckdb"

    @property
    def spark_folder(self) -> Path:
        """Where a Spark build's Parquet goes: the raw_ tables in, every model out."""
        return self.spark_dir or self.out / "spark"

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


# Every field of Config is a setting of the config file and the command line, except these,
# which a run sets for itself.
INTERNAL = {"as_of", "release_dir", "validation_folder"}


@dataclass(frozen=True)
class Form:
    """What a setting's value must be beyond its type, said the way its message says it;
    choices, when given, are what a wrong value is compared with for a "did you mean"."""

    test: Callable[[Any], bool]
    text: str
    choices: Callable[[], Iterable[str]] | None = None
    # for a value with parts (a list of chat targets): each part's problems, one line each
    problems: Callable[[Any], list[str]] | None = None


def one_of(*choices: str) -> Form:
    return Form(lambda v: v in choices, " or ".join(choices), lambda: choices)


def at_least(low: float, text: str) -> Form:
    return Form(lambda v: v >= low, text)


def _memory(value: str) -> bool:
    return re.fullmatch(r"\d+(\.\d+)?\s*([kmgt]i?b?|%)", value.strip(), re.IGNORECASE) is not None


def _zone(value: str) -> bool:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _stages(value: dict) -> bool:
    return all(isinstance(k, str) and isinstance(v, list) for k, v in value.items())


CHAT_KINDS = ("wecom", "dingtalk", "feishu")
# a chat target's keys: those without a default are required
CHAT_KEYS = {"name": None, "kind": None, "scope": None, "webhook_env": None,
             "secret_env": "", "language": "", "keyword": "", "files": None}
ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
TARGET_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")


def _chat_problems(targets: tuple[dict, ...]) -> list[str]:
    """What is wrong with each chat target, one line each, naming the target."""
    problems, names = [], set()
    for number, target in enumerate(targets, start=1):
        name = target.get("name")
        label = f"target {number}" + (f" ({name})" if isinstance(name, str) else "")

        def wrong(text: str, label=label) -> None:
            problems.append(f"{label}: {text}")

        for key in sorted(set(target) - set(CHAT_KEYS), key=str):
            near = _near(str(key), CHAT_KEYS)
            wrong(f"unknown key {key!r}; " + (f"did you mean {near!r}?" if near else
                                               f"the keys are {', '.join(CHAT_KEYS)}"))
        for key in ("name", "kind", "scope", "webhook_env"):
            if target.get(key) in (None, ""):
                wrong(f"{key} is missing")
        if name is not None and not (isinstance(name, str) and TARGET_NAME.fullmatch(name)):
            wrong(f"name is {name!r}; it should be letters, digits, - or _ (at most 40)")
        elif name in names:
            wrong(f"name {name!r} is used by another target")
        names.add(name)
        kind = target.get("kind")
        if kind is not None and kind not in CHAT_KINDS:
            near = _near(str(kind), CHAT_KINDS)
            wrong(f"kind is {kind!r}; it should be {', '.join(CHAT_KINDS)}"
                  + (f" (did you mean {near!r}?)" if near else ""))
        scope = target.get("scope")
        if scope is not None and (isinstance(scope, bool) or not isinstance(scope, str | int)):
            wrong(f"scope is {scope!r}; it should be company or a manager's user_id")
        for key in ("webhook_env", "secret_env"):
            value = target.get(key)
            if value not in (None, "") and not (isinstance(value, str)
                                                and ENV_NAME.fullmatch(value)):
                # not repeated: a webhook address or a secret written here by mistake
                wrong(f"{key} is not the name of an environment variable; it should be one, "
                      "such as SALES_EAST_DINGTALK_URL, and the address or secret itself "
                      "goes in the environment, never in this file")
        if kind == "wecom" and target.get("secret_env"):
            wrong("secret_env: WeCom robots do not sign their requests; leave it out")
        if target.get("language", "") not in ("", *LANGUAGES):
            wrong(f"language is {target['language']!r}; it should be {' or '.join(LANGUAGES)}")
        keyword = target.get("keyword", "")
        if not isinstance(keyword, str) or len(keyword) > 20 or "\n" in keyword:
            wrong(f"keyword is {keyword!r}; it should be one word or phrase of at most 20 "
                  "characters")
        files = target.get("files")
        if files is not None and not isinstance(files, bool):
            wrong(f"files is {files!r}; it should be true or false")
        elif files and kind in ("dingtalk", "feishu"):
            wrong(f"files: {kind} group robots cannot send files; leave it out")
    return problems


def _spark_conf(value: dict) -> bool:
    return all(isinstance(k, str) and k.startswith("spark.")
               and isinstance(v, str | int | float | bool) for k, v in value.items())


def _url(value: str) -> bool:
    return re.fullmatch(r"https?://[^\s/]+(/\S*)?", value) is not None


# The type of each setting comes from its annotation in Config; its form, when it has one more
# than its type, from here: one line per setting.
FORMS: dict[str, Form] = {
    "language": one_of(*LANGUAGES),
    "currency": Form(lambda v: re.fullmatch(r"[A-Z]{3}", v) is not None,
                     "a three-letter ISO 4217 code, such as CNY or USD"),
    "funnel_window_months": at_least(1, "a whole number of months, at least 1"),
    "fiscal_year_start_month": Form(lambda v: 1 <= v <= 12,
                                    "the month the fiscal year starts, a whole number 1-12"),
    "reject_threshold": Form(lambda v: 0 <= v <= 1,
                             "a fraction between 0 and 1, such as 0.01 for 1%"),
    "timezone": Form(_zone, "a time zone name, such as Asia/Shanghai or Europe/Amsterdam",
                     available_timezones),
    "settle_seconds": at_least(0, "a number of seconds, 0 or more"),
    "stages": Form(_stages, "a mapping of each source name to its list of stages"),
    "threads": at_least(1, "a whole number, at least 1"),
    "memory_limit": Form(_memory, "an amount of memory, such as 3GB, 512MB or 2GiB"),
    "engine": one_of("duckdb", "spark"),
    "spark_master": Form(lambda v: re.fullmatch(r"local(\[(\*|\d+)\])?|[a-z]+://\S+|yarn", v)
                         is not None, "a Spark master URL, such as local[*], local[2], "
                         "spark://host:7077, yarn or k8s://https://host:443"),
    "spark_conf": Form(_spark_conf, "a mapping of Spark settings (spark.*) to their values, "
                       "such as spark.executor.memory: 8g"),
    "tier_a_share": Form(lambda v: 0 < v < 1, "a fraction of the won amount, "
                         "0 < tier_a_share < tier_b_share < 1, such as 0.80"),
    "tier_b_share": Form(lambda v: 0 < v < 1, "a fraction of the won amount, "
                         "0 < tier_a_share < tier_b_share < 1, such as 0.95"),
    "churn_risk_tiers": Form(lambda v: bool(v) and set(v) <= {"A", "B", "C"},
                             "a list of value tiers A, B or C, such as [A] or [A, B]"),
    "churn_risk_days": at_least(1, "a whole number of days, at least 1"),
    "satisfaction_scale": one_of(*SATISFACTION_SCALES),
    "stale_after_days": at_least(1, "a whole number of days, at least 1"),
    "stale_action": one_of("warn", "fail"),
    "mail_attempts": at_least(1, "a whole number, at least 1"),
    "mail_backoff_seconds": at_least(0, "a number of seconds, 0 or more"),
    "chat": Form(lambda v: all(isinstance(t, dict) for t in v),
                 "a list of chat targets, each a mapping of name, kind, scope, webhook_env "
                 "and optionally secret_env, language, keyword and files (docs/chat.md)",
                 problems=_chat_problems),
    "chat_attempts": at_least(1, "a whole number, at least 1"),
    "chat_backoff_seconds": at_least(0, "a number of seconds, 0 or more"),
    "reports_url": Form(_url, "the http(s) address the reports folder is served at, such as "
                        "https://reports.example.com/crm"),
}


class SettingsError(ConfigError):
    """Settings that do not hold, each named; `settings` are the ones that do (the others at
    their defaults), so that a refused run can still say where its record and its summary
    to ops go."""

    def __init__(self, problems: list[str], settings: Config) -> None:
        self.problems, self.settings = problems, settings
        head = "" if len(problems) == 1 else f"{len(problems)} settings are wrong:\n  "
        super().__init__(head + "\n  ".join(problems))


def load_config(path: Path | None = None, **overrides) -> Config:
    """Defaults, then the config file, then the non-None overrides (the command line); each
    value checked for its type and form. Without an as-of date, today in `timezone`."""
    path = path or Path(os.environ.get("PIPELINE_CONFIG", DEFAULT_CONFIG))
    values: dict[str, Any] = {}
    problems: list[str] = []
    if path.is_file():
        _read(path, values, problems)
    elif path.exists():
        problems.append(f"config file {path} is not a file")
    elif path != DEFAULT_CONFIG:
        problems.append(f"config file {path} does not exist")
    for key, value in overrides.items():
        if value is not None:
            _take(key, value, "the command line", None, values, problems)
    if "as_of" not in values:
        values["as_of"] = datetime.now(ZoneInfo(values.get("timezone", Config.timezone))).date()
    shares = [values.get(k, getattr(Config, k)) for k in ("tier_a_share", "tier_b_share")]
    if not problems and not shares[0] < shares[1]:
        problems.append("tier_a_share and tier_b_share are fractions of the won amount, "
                        "0 < tier_a_share < tier_b_share < 1 (0.8 and 0.95: ABC); got "
                        f"{shares[0]} and {shares[1]}")
    config = replace(Config(), **values)
    if problems:
        raise SettingsError(problems, config)
    return config


def _read(path: Path, values: dict, problems: list[str]) -> None:
    """The file's settings into values, each that does not hold into problems; paths in the
    file are relative to the file's own folder."""
    try:
        text = path.read_text(encoding="utf-8")
        data = yamlfile.safe_load(text) or {}
        root = yaml.compose(text, Loader=yamlfile.SafeLoader)
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"{path}: cannot be read: {error}")
        return
    except yaml.YAMLError as error:
        problems.append(f"{path}: not valid YAML: {error}")
        return
    if not isinstance(data, dict):
        problems.append(f"{path}: expected a mapping of settings (key: value lines), "
                        f"got {data!r}")
        return
    lines = {node.value: node.start_mark.line + 1 for node, _ in root.value
             if isinstance(node.value, str)} if isinstance(root, yaml.MappingNode) else {}
    for key, value in data.items():
        where = f"{path}, line {lines[key]}" if key in lines else str(path)
        _take(key, value, where, path.parent, values, problems)


def _take(key, raw, where: str, base: Path | None, values: dict, problems: list[str]) -> None:
    kinds = _kinds()
    if key not in kinds or (base is not None and key in INTERNAL):
        known = sorted(kinds.keys() - (INTERNAL if base is not None else set()))
        near = _near(str(key), known)
        problems.append(f"{where}: unknown setting {key!r}; " + (
            f"did you mean {near!r}?" if near else f"the settings are {', '.join(known)}"))
        return
    form = FORMS.get(key)
    try:
        value = _convert(kinds[key], raw, base)
    except _Unlike as unlike:
        problems.append(f"{where}: {key} is {raw!r}; it should be "
                        f"{form.text if form else unlike.form}")
        return
    if form and not form.test(value):
        near = _near(value, form.choices()) if form.choices and isinstance(value, str) else None
        problems.append(f"{where}: {key} is {raw!r}; it should be {form.text}"
                        + (f" (did you mean {near!r}?)" if near else ""))
        return
    if form and form.problems and (found := form.problems(value)):
        problems.extend(f"{where}: {key}: {problem}" for problem in found)
        return
    values[key] = value


def _near(value: str, choices: Iterable[str]) -> str | None:
    lowered = {c.lower(): c for c in choices}
    near = difflib.get_close_matches(value.lower(), lowered, n=1)
    return lowered[near[0]] if near else None


class _Unlike(Exception):
    def __init__(self, form: str) -> None:
        self.form = form


@cache
def _kinds() -> dict[str, Any]:
    """Each setting's type, from Config's annotations."""
    hints = get_type_hints(Config)
    return {f.name: hints[f.name] for f in fields(Config)}


def _convert(kind, raw, base: Path | None):
    """raw as a value of kind (a Config annotation), or _Unlike saying what kind is."""
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        raise _Unlike("true or false")
    if kind is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        raise _Unlike("a whole number")
    if kind is float:
        if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
            return float(raw)
        raise _Unlike("a number")
    if kind is str:
        if isinstance(raw, str) and raw.strip():
            return raw
        raise _Unlike("a word or name")
    if kind is Path:
        if isinstance(raw, str | PurePath) and str(raw).strip():
            path = Path(raw).expanduser()
            return base / path if base is not None else path
        raise _Unlike("a path to a file or folder")
    if kind is date:
        if isinstance(raw, date):
            return raw
        raise _Unlike("a date, YYYY-MM-DD")
    if kind is dict:
        if isinstance(raw, dict):
            return raw
        raise _Unlike("a mapping of names to values")
    if get_origin(kind) in (Union, UnionType) and type(None) in get_args(kind):
        if raw is None:
            return None
        return _convert(next(a for a in get_args(kind) if a is not type(None)), raw, base)
    if get_origin(kind) is tuple:
        item = get_args(kind)[0]
        if isinstance(raw, list | tuple):
            return tuple(_convert(item, r, base) for r in raw)
        raise _Unlike("a list, such as [A, B]" if item is str else "a list of paths")
    return raw


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


@dataclass(frozen=True)
class ChatEndpoint:
    """Where a chat target's robot is and how to sign for it; neither shows itself."""

    url: Secret
    secret: Secret | None


def chat_endpoint(webhook_env: str, secret_env: str = "", environ=None) -> ChatEndpoint:
    """A robot's webhook address and signing secret, from the environment variables its chat
    target names; ConfigError, naming the variable (never its value), when one is unset or
    the address is not https (plain http only for a server on this machine)."""
    env = os.environ if environ is None else environ
    url = env.get(webhook_env, "").strip()
    if not url:
        raise ConfigError(f"{webhook_env} is not set in the environment: it should hold the "
                          "robot's webhook address")
    scheme, _, rest = url.partition("://")
    host = re.split(r"[/:?#]", rest, maxsplit=1)[0].strip("[]")
    if scheme == "http" and host in LOOPBACK:
        pass
    elif scheme != "https" or not host:
        raise ConfigError(f"{webhook_env} is not an https:// address (plain http only for a "
                          "server on this machine)")
    secret = None
    if secret_env:
        secret = env.get(secret_env, "").strip()
        if not secret:
            raise ConfigError(f"{secret_env} is not set in the environment: it should hold "
                              "the robot's signing secret")
        secret = Secret(secret)
    return ChatEndpoint(url=Secret(url), secret=secret)

"""Run settings: the config file, then the command line. The only module that reads os.environ."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import yaml

from pipeline.errors import ConfigError
from pipeline.paths import (
    DEFAULT_CONFIG,
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
    recipients_file: Path | None = None
    threads: int = 2
    memory_limit: str = "3GB"

    @property
    def warehouse(self) -> Path:
        return self.out / "warehouse.duckdb"

    @property
    def validation_dir(self) -> Path:
        return self.out / "validation"

    @property
    def reports_dir(self) -> Path:
        return self.out / "reports"

    @property
    def history_dir(self) -> Path:
        return self.out / "history"

    @property
    def mapping_dirs(self) -> list[Path]:
        return [SOURCES_DIR, *self.sources_dirs]


FILE_KEYS = {"language", "currency", "funnel_window_months", "fiscal_year_start_month",
             "reject_threshold", "sources_dirs", "timezone", "settle_seconds", "stages",
             "rules_file", "recipients_file", "threads", "memory_limit"}


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
    for key in ("rules_file", "recipients_file"):
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
    if not (isinstance(config.threads, int) and config.threads >= 1):
        raise ConfigError("threads must be a positive whole number")
    return config

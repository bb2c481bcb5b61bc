"""YAML settings and mapping files, parsed by libyaml where PyYAML has it (ten times the
pure-Python parser's speed, the same values and error marks)."""

from __future__ import annotations

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str):
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader

"""The steps of a run, in order: ingest -> build -> validate -> snapshot -> report.

Each step's module is imported when the step runs, so `ingest` alone never pays for
matplotlib and WeasyPrint.
"""

from __future__ import annotations

import importlib
import logging
import time

from pipeline.config import Config
from pipeline.db import connect

log = logging.getLogger(__name__)

STEPS = {
    "ingest": "pipeline.ingest:load_exports",
    "build": "pipeline.build:build_models",
    "validate": "pipeline.validate:validate_marts",
    "snapshot": "pipeline.history:record_snapshot",
    "report": "pipeline.render:render_reports",
}


def step_function(step: str):
    module, name = STEPS[step].split(":")
    return getattr(importlib.import_module(module), name)


def run(config: Config, steps: tuple[str, ...] = tuple(STEPS)) -> None:
    """Runs the given steps against out/warehouse.duckdb; any failure stops the rest."""
    with connect(config) as con:
        for step in steps:
            started = time.perf_counter()
            step_function(step)(con, config)
            log.info("%s done in %.1f s", step, time.perf_counter() - started)

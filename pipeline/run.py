"""The steps of a run, in order: ingest -> build -> validate -> report. Nothing else."""

from __future__ import annotations

import logging
import time

from pipeline.build import build_models
from pipeline.config import Config
from pipeline.db import connect
from pipeline.ingest import load_exports
from pipeline.render import render_reports
from pipeline.validate import validate_marts

log = logging.getLogger(__name__)

STEPS = {
    "ingest": load_exports,
    "build": build_models,
    "validate": validate_marts,
    "report": render_reports,
}


def run(config: Config, steps: tuple[str, ...] = tuple(STEPS)) -> None:
    """Runs the given steps against out/warehouse.duckdb; any failure stops the rest."""
    with connect(config) as con:
        for step in steps:
            started = time.perf_counter()
            STEPS[step](con, config)
            log.info("%s done in %.1f s", step, time.perf_counter() - started)

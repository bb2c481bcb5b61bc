"""Shared fixtures: a hand-made CRM builder, and one real run of the sample."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.control.run import run
from pipeline.paths import SAMPLE_CONFIG, SAMPLE_DIR
from pipeline.tools.sample import AS_OF
from tests.builders import Crm

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def crm() -> Crm:
    return Crm()


@pytest.fixture
def inbox(tmp_path) -> Path:
    """A copy of the sample inbox that a test may change."""
    folder = tmp_path / "inbox"
    shutil.copytree(SAMPLE_DIR, folder)
    return folder


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory):
    """The whole pipeline on data/sample, once per test session."""
    out = tmp_path_factory.mktemp("sample_run")
    config = load_config(SAMPLE_CONFIG, inbox=SAMPLE_DIR, out=out, as_of=AS_OF,
                         settle_seconds=0)
    run(config)
    return config


@pytest.fixture
def as_of() -> date:
    return AS_OF

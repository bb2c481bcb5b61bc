# Nightly CRM reports. `make help` lists every target.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INBOX ?= data/sample
OUT ?= out
# The sample's own as-of date (pipeline/tools/sample.py AS_OF), so its reports are never empty.
AS_OF ?= 2026-11-20
# The sample's settings (its recipients and commission plans) with the sample's inbox; a
# deployment's own, config/pipeline.yaml, with any other.
ifeq ($(INBOX),data/sample)
CONFIG ?= data/sample-config/pipeline.yaml
else
CONFIG ?= config/pipeline.yaml
endif
RUN_ARGS = --inbox $(INBOX) --out $(OUT) --as-of $(AS_OF) --config $(CONFIG)
# deliver and resend read the published reports, not the inbox
MAIL_ARGS = --out $(OUT) --as-of $(AS_OF) --config $(CONFIG)

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test,spark]'
	@touch $@

$(VENV)/.installed-docs: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[docs]'
	@touch $@

.PHONY: help install run nightly deliver resend backfill bench bench-curve ingest marts validate snapshot reports screenshots test lint sample clean

help: ## Show the available targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: $(VENV)/.installed ## Create .venv and install the project into it

run: $(VENV)/.installed ## Run the whole pipeline on data/sample into out/; email to out/outbox/, none sent
	$(PY) -m pipeline run $(RUN_ARGS) --dry-run

# The deployment's settings, which name its inbox, out folder and time zone; never the sample's.
NIGHTLY_CONFIG ?= config/pipeline.yaml
nightly: $(VENV)/.installed ## The nightly run: inbox, out and time zone from NIGHTLY_CONFIG (config/pipeline.yaml), as of today there; email over SMTP
	@grep -Eq '^inbox:' $(NIGHTLY_CONFIG) || { echo "$(NIGHTLY_CONFIG) names no inbox: set inbox: (and out:) to the deployment's folders"; exit 2; }
	$(PY) -m pipeline run --config $(NIGHTLY_CONFIG)

deliver: $(VENV)/.installed ## Email the published reports of AS_OF that are not yet sent
	$(PY) -m pipeline deliver $(MAIL_ARGS)

resend: $(VENV)/.installed ## Email AS_OF's reports to RECIPIENT again (new Message-ID)
	@test -n "$(RECIPIENT)" || { echo "usage: make resend RECIPIENT=name@example.com AS_OF=YYYY-MM-DD"; exit 2; }
	$(PY) -m pipeline resend $(MAIL_ARGS) --recipient "$(RECIPIENT)"

backfill: $(VENV)/.installed ## Run every date FROM..TO in order (no email): make backfill FROM=... TO=...
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "usage: make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD"; exit 2; }
	$(PY) -m pipeline backfill --inbox $(INBOX) --out $(OUT) --config $(CONFIG) --from $(FROM) --to $(TO)

ingest: $(VENV)/.installed ## Load the inbox's exports into the raw_ tables of out/warehouse.duckdb
	$(PY) -m pipeline ingest $(RUN_ARGS)

marts: $(VENV)/.installed ## Build staging, intermediate and mart tables from the raw_ tables; SELECT="+rpt_forecast ..." rebuilds only those
	$(PY) -m pipeline build $(RUN_ARGS)$(if $(SELECT), --select $(SELECT))

validate: $(VENV)/.installed ## Check every table against its pandera contract; failures in out/validation/
	$(PY) -m pipeline validate $(RUN_ARGS)

snapshot: $(VENV)/.installed ## Record the validated state of every deal in out/history/ (for later runs)
	$(PY) -m pipeline snapshot $(RUN_ARGS)

reports: $(VENV)/.installed ## Render the HTML and PDF reports from the validated marts
	$(PY) -m pipeline report $(RUN_ARGS)

screenshots: $(VENV)/.installed-docs ## Run the sample and picture its reports, email and chat messages for the docs (docs/screenshots/)
	$(PY) -m pipeline run $(RUN_ARGS) --dry-run
	$(PY) -m pipeline.tools.screenshots --run $(OUT)/reports/$(AS_OF) --to docs/screenshots \
		--edition company --edition 5743045000010000003/en \
		--chat wecom=5743045000010000004 --chat dingtalk=company \
		--chat feishu=5743045000010000003/en

SCALE ?= small
ENGINE ?= duckdb
bench: $(VENV)/.installed ## Benchmark every step against the bare read and pandas: make bench SCALE=small|medium|large [ENGINE=spark: also the build on Spark local mode]
	$(PY) -m pipeline.tools.bench --scale $(SCALE) --out $(OUT)/bench --engine $(ENGINE)

BASE ?= 125000
bench-curve: $(VENV)/.installed ## Bench at 1x, 2x, 4x BASE deals (no reports); chart docs/bench_linearity.png
	$(PY) -m pipeline.tools.bench_curve --base $(BASE) --out $(OUT)/bench

.PHONY: docs
docs: $(VENV)/.installed ## Write the data dictionary of every table (grain, columns, checks, lineage, metrics) to out/docs/index.html
	$(PY) -m pipeline.warehouse.dictionary --out $(OUT)/docs --warehouse $(OUT)/warehouse.duckdb

test: $(VENV)/.installed-test ## Install the test extras and run the test suite
	$(PY) -m pytest

lint: $(VENV)/.installed-test ## Check the Python code with ruff
	$(PY) -m ruff check pipeline tests

sample: $(VENV)/.installed ## Regenerate data/sample/ with the seeded generator
	$(PY) -m pipeline.tools.sample --out data/sample

clean: ## Remove out/ and caches (keeps .venv)
	rm -rf $(OUT) .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

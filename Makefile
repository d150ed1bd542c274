# Two commands do everything from a fresh clone (Python 3.11+ and make are all you need):
#   make demo   - set up .venv, start the embedded Postgres, run the whole warehouse on sample data
#   make test   - same set-up, then every check CI runs (lint, pytest, dbt build on the demo)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# pytest-xdist: one worker per core (at most 4), whole test files per worker; each worker
# starts its own embedded Postgres. `make pytest PYTEST_WORKERS=` runs in one process.
PYTEST_WORKERS ?= -n auto --maxprocesses 4 --dist loadfile

.PHONY: demo test lint pytest dbt-build semantic docs-coverage install clean bench

demo: $(STAMP)
	$(BIN)/adwh db start
	$(BIN)/adwh demo

test: $(STAMP)
	$(BIN)/adwh db start
	$(MAKE) lint
	$(MAKE) pytest
	$(MAKE) dbt-build
	$(MAKE) semantic
	$(MAKE) docs-coverage

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "adwh needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,demo]'
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check loaders tests scripts
	$(BIN)/ruff format --check loaders tests scripts
	$(BIN)/adwh db env > $(VENV)/db.env
	set -a && . ./$(VENV)/db.env && set +a && \
		$(BIN)/sqlfluff lint --processes 0 dbt_project/models dbt_project/tests dbt_project/analyses

pytest: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_WORKERS) || [ $$? -eq 5 ]

# The demo loads every source's sample data and runs `dbt build` (all models and tests),
# then `dbt docs generate` proves every model documents.
dbt-build: $(STAMP)
	$(BIN)/adwh demo
	$(BIN)/adwh dbt docs generate

# The MetricFlow semantic layer (dbt_project/models/marts/semantic/) against the built warehouse.
semantic: $(STAMP)
	$(BIN)/adwh db env > $(VENV)/db.env
	set -a && . ./$(VENV)/db.env && set +a && $(BIN)/mf validate-configs

# Every model, column, source, seed, metric, semantic model and exposure has a description
# (reads target/manifest.json and catalog.json from `dbt docs generate` in dbt-build).
docs-coverage: $(STAMP)
	$(BIN)/python scripts/check_docs_coverage.py

bench: $(STAMP)
	$(BIN)/python scripts/bench_load.py

clean:
	-$(BIN)/adwh db stop
	rm -rf $(VENV) .adwh target logs

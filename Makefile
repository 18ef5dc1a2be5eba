# mfg-sync: one command each for setup, tests, the demo and the Dagster UI.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export MFG_SYNC_DATA_DIR ?= $(CURDIR)/.mfg_sync

.PHONY: setup test demo dev lint bench clean tryton

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "needs $(PYTHON) (Python 3.11) on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --quiet --upgrade pip
	$(BIN)/pip install --quiet --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

# The Tryton server's own venv for the real-ERP tests and `mfg-sync tryton up` (idempotent: a stamp).
tryton:
	PYTHON=$(PYTHON) deploy/tryton/install.sh .venv-tryton

test: $(STAMP) tryton
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

demo: $(STAMP) tryton
	@mkdir -p $(DAGSTER_HOME)
	MFG_SYNC_PROFILE=sandbox $(BIN)/python -m orchestration.demo

dev: $(STAMP) tryton
	@mkdir -p $(DAGSTER_HOME)
	MFG_SYNC_PROFILE=sandbox $(BIN)/python -m orchestration.dev

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .venv-tryton .pytest_cache .mfg_sync

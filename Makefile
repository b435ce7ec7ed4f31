# Qurb — the two quick-start commands and their helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB ?= demo.db
PORT ?= 8000
export QURB_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test bench install install-dev lint typecheck pytest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'

# A fresh demo database every time: migrate, seed, print the sign-ins, serve.
demo: install
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_DB)-writer
	QURB_DATABASE_URL=sqlite:///./$(DEMO_DB) $(BIN)/qurb-api migrate
	QURB_DATABASE_URL=sqlite:///./$(DEMO_DB) $(BIN)/qurb-api seed-demo --json demo-credentials.json
	rm -rf demo-files
	QURB_DATABASE_URL=sqlite:///./$(DEMO_DB) $(BIN)/qurb-api demo-day --out demo-files
	@echo
	@echo "Serving on http://127.0.0.1:$(PORT) (Ctrl-C to stop); API description at /openapi.json"
	QURB_DATABASE_URL=sqlite:///./$(DEMO_DB) $(BIN)/qurb-api serve --host 127.0.0.1 --port $(PORT)

# Every benchmark on this machine (10 to 13 minutes), figures printed last as name=value.
bench: install-dev
	$(BIN)/python bench/run_all.py

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev
	$(BIN)/pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache

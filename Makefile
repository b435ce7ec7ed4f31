# Qurb — the two quick-start commands and their helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# make demo PORT=8080 DEMO_DB=/tmp/demo.db: another port, another database file.
DEMO_DB ?= demo.db
DEMO_FILES ?= demo-files
DEMO_CREDENTIALS ?= demo-credentials.json
PORT ?= 8000
# The demo's counter: the first terminal, activated in this folder, served on this port.
COUNTER_PORT ?= 8765
DEMO_TERMINAL ?= demo-terminal
# An absolute path: the URL the demo prints works from any directory.
DEMO_URL = sqlite:///$(abspath $(DEMO_DB))
export QURB_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo serve demo-db-exists test bench install install-dev lint typecheck pytest clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'

# A fresh demo database every time: migrate, seed, print the sign-ins, a reconciled day, serve.
demo: install
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_DB)-writer
	QURB_DATABASE_URL=$(DEMO_URL) $(BIN)/qurb-api migrate
	QURB_DATABASE_URL=$(DEMO_URL) $(BIN)/qurb-api seed-demo --json $(DEMO_CREDENTIALS)
	rm -rf $(DEMO_FILES)
	QURB_DATABASE_URL=$(DEMO_URL) $(BIN)/qurb-api demo-day --out $(DEMO_FILES) \
		--url http://127.0.0.1:$(PORT)
	@echo
	@echo "Back office: http://127.0.0.1:$(PORT)/back-office/ — sign in as"
	@$(BIN)/python -c 'import json,sys; users={u["username"]: u for u in json.load(open(sys.argv[1]))["users"]}; [print("  %-14s %-18s %s" % (users[n]["role"], n, users[n]["password"])) for n in ("cnss.finance", "cnss.auditor", "cnss.admin", "admin.cashplus")]' $(DEMO_CREDENTIALS)
	@echo "(finance works the demo day's exceptions to zero; the auditor reads; admins run the registry)"
	@echo "(the demo day's reimbursement files: CNSS's tracking file is applied, a missing envelope first in the queue)"
	@echo
	@echo "Serving $(DEMO_DB) on http://127.0.0.1:$(PORT) and the counter on http://127.0.0.1:$(COUNTER_PORT) (Ctrl-C stops both)"
	@bash deploy/demo-serve.sh --bin $(BIN) --database-url $(DEMO_URL) --port $(PORT) \
		--counter-port $(COUNTER_PORT) --credentials $(DEMO_CREDENTIALS) --terminal-home $(DEMO_TERMINAL)

# The demo database as make demo left it (and whatever was done with it since), served again:
# nothing is re-seeded. Migrations that arrived since are applied first.
serve: demo-db-exists $(BIN)/qurb-api
	@QURB_DATABASE_URL=$(DEMO_URL) $(BIN)/qurb-api migrate >/dev/null
	@echo "Serving $(DEMO_DB) on http://127.0.0.1:$(PORT) (Ctrl-C to stop); API description at /openapi.json"
	@echo "Back office: http://127.0.0.1:$(PORT)/back-office/"
	QURB_DATABASE_URL=$(DEMO_URL) $(BIN)/qurb-api serve --host 127.0.0.1 --port $(PORT)

demo-db-exists:
	@test -f $(DEMO_DB) || { \
		echo "error: $(DEMO_DB) does not exist: make demo creates it (and serves it)" >&2; \
		exit 2; }

$(BIN)/qurb-api: $(BIN)/python
	$(BIN)/pip install --quiet -e .

# Every benchmark on this machine (12 to 15 minutes), figures printed last as name=value.
bench: install-dev
	$(BIN)/python bench/run_all.py

# PNGs of the back office's main screens in French and Arabic (Debian's chromium and
# chromium-driver), written to docs/screens/ (SCREENS=another/dir to write elsewhere).
SCREENS ?= docs/screens
screenshots: install-dev
	$(BIN)/python -m tests.browser.screenshots --out $(SCREENS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

# Two processes (PYTEST_WORKERS=0 for one): each has its own PostgreSQL schema and SQLite files.
PYTEST_WORKERS ?= 2
pytest: install-dev
	$(BIN)/pytest -n $(PYTEST_WORKERS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache $(DEMO_TERMINAL)

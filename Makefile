# popreg: `make run` sets everything up and serves; `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SEED_CITIZENS ?= 100000
SOAK_DURATION ?= 10m
FUZZ_EXAMPLES ?= 200
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.DEFAULT_GOAL := help
.PHONY: help install run migrate test lint format typecheck browser pytest openapi check-migrations soak fuzz clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "popreg needs Python 3.11+; run make PYTHON=python3.12 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e ".[dev,pg,load]"
	@touch $@

install: $(VENV)/.installed ## Create .venv and install popreg with its dev, pg and load extras

migrate: install ## Migrate the database (POPREG_DATABASE_URL, default var/popreg.db)
	$(BIN)/popreg db upgrade

run: migrate ## Install, migrate, seed, create demo agencies (keys printed) and serve on :$(PORT)
	$(BIN)/popreg seed --citizens $(SEED_CITIZENS) --if-empty
	$(BIN)/popreg agency demo
	@echo "Dashboard (live traffic, policy, data tracker): http://$(HOST):$(PORT)/   API reference: http://$(HOST):$(PORT)/docs"
	@echo "Make it move, from another terminal: $(BIN)/popreg scenario run scenarios/privacy-incident.yaml --url http://$(HOST):$(PORT)"
	$(BIN)/popreg serve --host $(HOST) --port $(PORT)

test: lint typecheck browser pytest ## Everything CI runs: ruff, mypy on app/, pytest

lint: install ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install ## mypy (strict) on app/
	$(BIN)/mypy

browser: ## Chromium for the dashboard's browser tests (apt-get; without it they skip)
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  ( $$sudo apt-get update -qq && $$sudo apt-get install -y -qq chromium ) \
	    || echo "Chromium could not be installed: the dashboard browser tests will skip"; \
	else echo "no chromium and no apt-get: the dashboard browser tests will skip"; fi

pytest: install ## The test suite (PostgreSQL tests run when a server answers)
	$(BIN)/pytest

openapi: install ## Regenerate openapi/openapi.json from the app
	$(BIN)/popreg openapi --out openapi/openapi.json

check-migrations: install ## alembic upgrade head + alembic check on SQLite and PostgreSQL
	@tmp=$$(mktemp -d) && \
	  POPREG_DATABASE_URL=sqlite:///$$tmp/check.db $(BIN)/alembic upgrade head && \
	  POPREG_DATABASE_URL=sqlite:///$$tmp/check.db $(BIN)/alembic check && rm -rf $$tmp
	@db=popreg_check_$$$$; pg=$$(echo "$${POPREG_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}" | sed 's/+psycopg//'); \
	if psql "$$pg" -qc "CREATE DATABASE $$db" 2>/dev/null; then \
	  url=$$(echo "$$pg" | sed "s#/[^/]*\$$#/$$db#"); \
	  POPREG_DATABASE_URL=$$url $(BIN)/alembic upgrade head && POPREG_DATABASE_URL=$$url $(BIN)/alembic check; \
	  status=$$?; psql "$$pg" -qc "DROP DATABASE $$db"; exit $$status; \
	else echo "PostgreSQL not reachable: skipped"; fi

soak: install ## Load and soak: 10 min (SOAK_DURATION) of mixed load on PostgreSQL, 2 server processes + worker
	$(BIN)/python bench/soak.py --backend postgresql --workers 2 --duration $(SOAK_DURATION) \
	  --postgres "$${POPREG_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"

fuzz: install ## Contract fuzzing, long: FUZZ_EXAMPLES per operation on SQLite, then PostgreSQL
	@mkdir -p var/fuzz; status=0; \
	for backend in sqlite postgresql; do \
	  rm -f var/fuzz/contract-$$backend.md; \
	  POPREG_FUZZ_PROFILE=long POPREG_FUZZ_BACKEND=$$backend POPREG_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
	  POPREG_FUZZ_REPORT=var/fuzz/contract-$$backend.md \
	    $(BIN)/pytest tests/reliability/test_contract.py -q -p no:cacheprovider -rs || status=1; \
	  if [ -f var/fuzz/contract-$$backend.md ]; then cat var/fuzz/contract-$$backend.md; fi; \
	done; exit $$status

clean: ## Remove the virtualenv, caches and the local database
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis

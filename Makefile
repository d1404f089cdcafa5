# Everything a developer runs. Needs Python 3.11 or newer (python3 on PATH, or PYTHON=...).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEV_PORT ?= 8000
PYTEST_ARGS ?=
# Two test processes per core: a third of the suite's wall time is spent waiting on processes the tests
# start (chromium, Celery workers, Redis, the chaos run), which the second process per core fills.
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(2 * len(os.sched_getaffinity(0)))' 2>/dev/null || echo 2)

.PHONY: dev test test-browser lint typecheck migrations-check ci bench load install seed clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

## The whole portal on embedded defaults: SQLite, a file-system Celery broker, the carrier sandbox.
dev: export DEV_PORT := $(DEV_PORT)
dev: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	$(BIN)/honcho -f Procfile.dev start

## The whole test suite (SQLite and in-process broker here; CI sets DATABASE_URL and REDIS_URL).
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

test-browser: $(STAMP)
	$(BIN)/python -m pytest -m browser

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/python scripts/sizes.py

## mypy with django-stubs over the product code ([tool.mypy] in pyproject.toml); `lint` runs it too.
typecheck: $(STAMP)
	$(BIN)/mypy

migrations-check: $(STAMP)
	DJANGO_ENV=test $(BIN)/python manage.py makemigrations --check --dry-run

ci: lint migrations-check test

bench: $(STAMP)
	$(BIN)/python -m benchmarks

## The load test (docs/load.md): gunicorn + PostgreSQL on loopback, 50 employees and 10 brokers for 60 s.
load: $(STAMP)
	$(BIN)/python -m loadtest

clean:
	rm -rf var/celery-broker var/portal.sqlite3 var/celerybeat-schedule*

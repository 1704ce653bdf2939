# Pusterum. `make run` and `make test` set everything up themselves on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-app
TEST_STAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test bench soak privacy audit lint fmt i18n migrations setup clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $(STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP) $(TEST_STAMP)

setup: $(TEST_STAMP)

## Set up everything and serve the app on HOST:PORT (SQLite under var/).
run: $(STAMP)
	$(BIN)/pusterum db migrate
	$(BIN)/pusterum content import
	$(BIN)/pusterum push keys
	$(BIN)/pusterum demo
	$(BIN)/pusterum serve

## The whole suite: SQLite, then PostgreSQL (a throwaway cluster), then the browser tests.
test: $(TEST_STAMP)
	$(BIN)/ruff check server tests bench tools
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -m "not browser and not postgres" -q
	PUSTERUM_TEST_DB=postgres $(BIN)/python -m pytest -m "not browser" -q tests/integration tests/db tests/privacy
	$(BIN)/python -m pytest -m browser -q

bench: $(TEST_STAMP)
	$(BIN)/python -m bench

## A busy minute on SQLite (1 and 2 workers) and on PostgreSQL behind nginx; fails on any 5xx or lost row.
soak: $(TEST_STAMP)
	$(BIN)/python -m bench.soak

## The privacy attacker on more generated worlds than `make test` (both engines): no figure about 1-4 people.
privacy: $(TEST_STAMP)
	PUSTERUM_PRIVACY_SEEDS=1,2,3,4,5 $(BIN)/python -m pytest -q tests/privacy
	PUSTERUM_TEST_DB=postgres PUSTERUM_PRIVACY_SEEDS=1,2,3,4,5 $(BIN)/python -m pytest -q tests/privacy

## Lighthouse scores and repeat-visit bytes (needs npm; installs lighthouse into .audit/).
audit: $(TEST_STAMP)
	$(BIN)/python tools/audit.py

lint: $(TEST_STAMP)
	$(BIN)/ruff check server tests bench tools
	$(BIN)/lint-imports

fmt: $(TEST_STAMP)
	$(BIN)/ruff check --fix server tests bench tools

## Re-extract messages and merge them into the catalogues (then translate what is new).
i18n: $(TEST_STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -k N_ -o server/locale/messages.pot .
	for lang in da en; do \
	  if [ -f server/locale/$$lang/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i server/locale/messages.pot -d server/locale -l $$lang; \
	  else $(BIN)/pybabel init -i server/locale/messages.pot -d server/locale -l $$lang; fi; \
	done
	$(BIN)/python tools/fill_english.py

## Generate a migration from changed tables (against a throwaway PostgreSQL, as SQLite cannot).
migrations: $(TEST_STAMP)
	PICCOLO_CONF=server.db.piccolo_conf $(BIN)/python tools/pgtmp.py -- $(BIN)/piccolo migrations new server --auto --desc "$(or $(DESC),schema change)"

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

# Marketplace: `make run` serves the demo store; `make test` runs every check CI runs
# (lint, the whole suite on PostgreSQL + Redis when they are there, then the unit and integration
# tests again on the embedded SQLite + fakeredis the store runs on by default).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint unit e2e browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) run --host $(HOST) --port $(PORT)

browser:
	@command -v chromium >/dev/null || command -v /usr/bin/chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: $(VENV)/.installed-test browser lint
	$(BIN)/pytest
	@echo "Again on the embedded defaults (SQLite, fakeredis), as \`make run\` uses them:"
	TEST_DATABASE_URL=embedded TEST_REDIS_URL=embedded $(BIN)/pytest tests -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Two entry points on a fresh machine: `make run` (the API service) and `make test`.
# `make help` lists every target. Every target first brings .venv up to date
# (tools/mkvenv.py: one make at a time, rebuilt when PYTHON changes).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080
STAMP := $(VENV)/.installed
#: what a new venv upgrades first, then what it installs (dependencies at the locked versions)
VENV_BOOTSTRAP ?= pip setuptools>=69 wheel
VENV_INSTALL ?= -c constraints.txt -e '.[test,dev]'

.DEFAULT_GOAL := help
.PHONY: help venv run test lint type check lock clean screenshots FORCE

## help: list these targets
help:
	@awk '/^## [A-Za-z_.-]+:/ { sub(/^## /, ""); name = $$0; sub(/:.*/, "", name); \
	  text = $$0; sub(/^[^:]*: */, "", text); printf "  make %-6s %s\n", name, text }' \
	  $(firstword $(MAKEFILE_LIST))

$(STAMP): FORCE
	@$(PYTHON) tools/mkvenv.py $(VENV) --bootstrap '$(VENV_BOOTSTRAP)' -- $(VENV_INSTALL)

## venv: create or update .venv (every target does it first; PYTHON=python3.12 to switch)
venv: $(STAMP)

## run: serve the API with gunicorn exactly as the Procfile does (PORT, WEB_CONCURRENCY honoured)
run: $(STAMP)
	PORT=$(PORT) $(BIN)/gunicorn wsgi:app -c gunicorn.conf.py

## test: the whole test suite (starts its own gunicorn, redis-server, chromium and helm where available)
test: $(STAMP)
	$(BIN)/pytest

## screenshots: regenerate the README's pictures of the web UI (docs/images/) with headless Chromium
screenshots: $(STAMP)
	CNS_SCREENSHOTS_DIR=docs/images $(BIN)/pytest -q -p no:cacheprovider tests/web/test_web_browser.py

## lint: ruff check and ruff format --check
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## type: mypy
type: $(STAMP)
	$(BIN)/mypy

## check: lint, type and test
check: lint type test

## lock: re-resolve the runtime dependencies into constraints.txt (then review the diff)
lock: $(STAMP)
	$(BIN)/python tools/lock.py

## clean: remove the venv and build, test and lint caches
clean:
	rm -rf $(VENV) $(VENV).lock build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache

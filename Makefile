# Two entry points on a fresh machine: `make run` (the API service) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080
STAMP := $(VENV)/.installed

.PHONY: run test lint type check clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip "setuptools>=69" wheel
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

## run: serve the API with gunicorn exactly as the Procfile does (PORT, WEB_CONCURRENCY honoured)
run: $(STAMP)
	PORT=$(PORT) $(BIN)/gunicorn wsgi:app -c gunicorn.conf.py

## test: the whole test suite (starts its own gunicorn, redis-server and helm where available)
test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

type: $(STAMP)
	$(BIN)/mypy

check: lint type test

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache

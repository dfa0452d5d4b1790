# The two set-up commands: `make demo` and `make test`. Each works on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOME_DEMO ?= var/demo
SCALE ?= small

.PHONY: install java demo test lint typecheck unit bench clean

install: $(INSTALLED) java

# Spark (the engine for national scale, and the engine-parity tests) needs a Java runtime.
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "Installing a Java runtime for Spark"; \
	  apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	touch $@

demo: install
	EVER6_HOME=$(HOME_DEMO) $(BIN)/ever6 demo --scale $(SCALE)

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest

test: lint typecheck unit

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

bench: install
	$(BIN)/python -m bench --scale small
	$(BIN)/python -m bench --scale la

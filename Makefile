# The two set-up commands: `make demo` and `make test`. Each works on a fresh machine.
PYTHON ?= python3
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOME_DEMO ?= var/demo
SCALE ?= small
PORT ?= 8000
FRONTEND := src/ever6/web/frontend
FRONTEND_INSTALLED := $(FRONTEND)/node_modules/.installed

# Python writes each module's byte code when it first imports it (pip installs with --no-compile,
# below), so that later processes read it: a machine whose environment sets PYTHONDONTWRITEBYTECODE
# would otherwise compile PySpark, Ibis and Django from source in every test process (13 CPU s an
# import of the test's libraries instead of 4).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install validators java documents chromium nginx postgresql frontend demo test lint typecheck unit unit-postgresql bench bench-region clean

install: $(INSTALLED) validators java documents frontend

# The DfE validators (Data to Insight's CIN census and SSDA903 rules) need pandas < 2 and numpy
# < 1.25, which ever6's stack cannot share: their own pinned environment, run as a subprocess.
VALIDATORS_VENV := .venv-validators
VALIDATORS_INSTALLED := $(VALIDATORS_VENV)/.installed
validators: $(VALIDATORS_INSTALLED)
$(VALIDATORS_INSTALLED): validators/requirements.txt
	$(PYTHON) -m venv $(VALIDATORS_VENV)
	$(VALIDATORS_VENV)/bin/pip install --quiet --upgrade pip
	$(VALIDATORS_VENV)/bin/pip install --quiet --no-compile --no-deps -r validators/requirements.txt
	touch $@

# The web service's front-end assets (GOV.UK Frontend, Vega-Lite), pinned by package-lock.json.
frontend: $(FRONTEND_INSTALLED)
$(FRONTEND_INSTALLED): $(FRONTEND)/package-lock.json
	npm ci --prefix $(FRONTEND) --no-audit --no-fund --loglevel=error
	touch $@

# The end-to-end tests drive Debian's Chromium through Playwright (no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium for the end-to-end tests"; \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# The proxy test runs the production settings behind Debian's nginx, on loopback, started by the test.
nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
	  echo "Installing nginx for the reverse-proxy test"; \
	  apt-get update -qq && apt-get install -y -qq nginx >/dev/null; }

# The web tests run on PostgreSQL too: a server the tests start in a temporary folder, loopback only.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "Installing PostgreSQL for the web tests"; \
	  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }

# Documents (packs, reports): WeasyPrint needs Pango, and Arial's metric twin Liberation Sans
# where Arial itself is not installed; the tests read PDFs back with poppler's pdftotext/pdftoppm.
documents:
	@{ ls /usr/lib/*/libpangoft2-1.0.so.0 >/dev/null 2>&1 && fc-list 2>/dev/null | grep -q LiberationSans \
	   && command -v pdftotext >/dev/null 2>&1; } || { \
	  echo "Installing Pango, fonts and poppler-utils for documents"; \
	  apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation poppler-utils >/dev/null; }

# Spark (the engine for national scale, and the engine-parity tests) needs a Java runtime.
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "Installing a Java runtime for Spark"; \
	  apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

# --no-compile: byte-compiling every installed module (PySpark's thousands) took over a minute of the
# install; Python compiles what is imported, when it is first imported.
$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --no-compile -e '.[dev,spark,postgres]'
	touch $@

demo: install
	EVER6_HOME=$(HOME_DEMO) $(BIN)/ever6 demo --scale $(SCALE) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

# The rule tests' Spark half too (tests/support/engines.py): every cohort scenario in one Spark query.
# Three pytest runs side by side on two cores (each waits on browsers, servers and Spark for part of
# its time), of about the same length by the JUnit times (var/pytest/*.xml): the web service's,
# the linkage's and the synthetic authority generator's tests; the cohort's, the measures', disclosure
# control's, the publish stage's and the synthetic authority's against its ground truth; and the
# rest. One run should be the shortest by about the PostgreSQL run's length (now the first), since
# that run follows whichever finishes first: the web tests that write to the database run again on
# PostgreSQL as soon as any of the three finishes (bash's `wait -n`). Each run has its own
# temporary folder and log, printed at the end.
PYTEST_RUNS := var/pytest
LANE_WEB := tests/web tests/linkage tests/synth
LANE_ANALYTICS := tests/cohort tests/metrics tests/disclosure tests/publish tests/test_synthetic_authority.py
# The demo authority every run needs (tests/conftest.py's `published`) is built once, by the first run
# to ask, in a folder the runs share (emptied with the rest of var/pytest at each start), and copied by each.
SHARED_BUILDS := EVER6_TEST_SHARED=$(PYTEST_RUNS)/shared
PYTEST := $(SHARED_BUILDS) EVER6_RULE_ENGINES=duckdb,spark $(BIN)/pytest -p no:cacheprovider --durations=10

# The web tests that write to the database in earnest, again on PostgreSQL (tests/postgresql.py):
# accounts and the audit log with its append-only triggers, the authorisation matrix, the portal's
# audited views, agreements, contacts, bulk imports, support and training records, the email outbox's
# claims and the events told to social workers. The rest read
# the published snapshot and would test nothing new on another database.
POSTGRESQL_TESTS := tests/web/accounts tests/web/test_authorization.py tests/web/test_security.py tests/web/portal \
	tests/web/schools/test_agreements.py tests/web/schools/test_contacts.py tests/web/schools/test_bulk_import.py \
	tests/web/support tests/web/training tests/web/outbox tests/web/events
POSTGRESQL_RUN := EVER6_TEST_POSTGRESQL=1 $(BIN)/pytest -p no:cacheprovider -m "not e2e" \
	--basetemp=$(PYTEST_RUNS)/postgresql --junitxml=$(PYTEST_RUNS)/postgresql.xml $(POSTGRESQL_TESTS)

unit: install chromium nginx postgresql
	rm -rf $(PYTEST_RUNS) && mkdir -p $(PYTEST_RUNS)
	$(PYTEST) --basetemp=$(PYTEST_RUNS)/web --junitxml=$(PYTEST_RUNS)/web.xml $(LANE_WEB) \
		> $(PYTEST_RUNS)/web.log 2>&1 & web=$$!; \
	$(PYTEST) --basetemp=$(PYTEST_RUNS)/analytics --junitxml=$(PYTEST_RUNS)/analytics.xml $(LANE_ANALYTICS) \
		> $(PYTEST_RUNS)/analytics.log 2>&1 & analytics=$$!; \
	$(PYTEST) --basetemp=$(PYTEST_RUNS)/rest --junitxml=$(PYTEST_RUNS)/rest.xml \
		$(addprefix --ignore=,$(LANE_WEB) $(LANE_ANALYTICS)) > $(PYTEST_RUNS)/rest.log 2>&1 & rest=$$!; \
	wait -n -p finished $$web $$analytics $$rest; status=$$?; \
	$(SHARED_BUILDS) $(POSTGRESQL_RUN) > $(PYTEST_RUNS)/postgresql.log 2>&1 || status=1; \
	for run in $$web $$analytics $$rest; do [ "$$run" = "$$finished" ] || wait $$run || status=1; done; \
	for run in web analytics rest postgresql; do echo "--- $$run"; cat $(PYTEST_RUNS)/$$run.log; done; \
	exit $$status

# The PostgreSQL run alone.
unit-postgresql: install postgresql
	$(POSTGRESQL_RUN)

# The checks run beside the tests (mypy would otherwise hold one core while the other waits); their
# output comes first, the tests' last.
test: install chromium nginx postgresql
	@mkdir -p var; $(MAKE) --no-print-directory lint typecheck > var/checks.log 2>&1 & checks=$$!; \
	$(MAKE) --no-print-directory unit > var/unit.log 2>&1 & unit=$$!; \
	wait $$checks; status=$$?; cat var/checks.log; \
	wait $$unit || status=1; cat var/unit.log; \
	exit $$status

clean:
	rm -rf $(VENV) $(VALIDATORS_VENV) var .pytest_cache .mypy_cache .ruff_cache $(FRONTEND)/node_modules

bench: install java
	$(BIN)/python -m bench --scale small --spark refresh
	$(BIN)/python -m bench --scale la --spark measures

# Twice "la", on Spark in local mode too: generating it takes about half an hour the first time.
bench-region: install java
	$(BIN)/python -m bench --scale region --spark measures --no-baselines

# Lexflow: the two commands a newcomer needs are `make demo` and `make test` (see README.md).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
MODELER_BUNDLE := web/modeler/static/build/modeler.js
MODELER_SOURCES := $(wildcard web/modeler/static/js/*) web/modeler/build.mjs \
	web/modeler/bpmnlintrc.json web/modeler/static/css/vendor.css
PORT ?= 5000

.PHONY: demo test proof setup system-deps lint assets bench bench-quick clean

## Install everything and run the web app + scheduler on SQLite with the demo province.
demo: setup assets
	$(BIN)/lexflow db upgrade
	$(BIN)/lexflow demo --if-empty
	$(BIN)/lexflow run --port $(PORT)

## Install everything (PostgreSQL and Chromium included) and run the whole test suite.
test: system-deps setup assets
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2 --timeout 600

## The long proof suites (crash with SIGKILLs, races, hostile input, API fuzzing): tests/proof.
proof: system-deps setup assets
	$(BIN)/pytest tests/proof --override-ini="addopts=-ra --strict-markers" --timeout 3600
	$(BIN)/pytest tests/browser tests/test_demo.py tests/test_jobs_exactly_once.py -m proof --override-ini="addopts=-ra --strict-markers" --timeout 900

setup: $(PIP_STAMP)

$(PIP_STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(PIP_STAMP)

## The npm libraries (never committed) and the browser modeler bundled from them by esbuild.
assets: $(NPM_STAMP) $(MODELER_BUNDLE)

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

$(MODELER_BUNDLE): $(NPM_STAMP) $(MODELER_SOURCES)
	node web/modeler/build.mjs

system-deps:
	./.ci/install-system-deps

## The performance report: every benchmark in one run, one table (bench/README.md).
bench: setup
	$(BIN)/python bench/report.py

bench-quick: setup
	$(BIN)/python bench/report.py --quick

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache web/modeler/static/build

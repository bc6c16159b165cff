# kitlog: the two commands are `make run` and `make test`.
#
# Everything installs into .venv. pip runs again only when pyproject.toml or setup.py changes
# (the stamp files below), so the second `make run` or `make test` starts in seconds.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

PORT ?= 5000
KITLOG_DEMO ?= 1
KITLOG_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export KITLOG_TEST_DATABASE_URL

TRANSLATIONS := kitlog/translations
# Languages `make translations` creates a catalog for when it is missing.
CATALOG_LANGUAGES ?= id en
# Extra arguments for the benchmark, e.g. `make bench BENCH_ARGS="--rows 200000"`.
BENCH_ARGS ?=
# and for the import benchmark, e.g. `make bench BENCH_IMPORT_ARGS="--rows 100000"`.
BENCH_IMPORT_ARGS ?=
# and for the label and manifest PDFs, e.g. `make bench BENCH_LABELS_ARGS="--parcels 1000"`,
BENCH_LABELS_ARGS ?=
# the donor report and stock pages over 1M ledger rows, e.g. BENCH_REPORTS_ARGS="--rows 200000",
BENCH_REPORTS_ARGS ?=
# how often label QR codes read back from a print and a phone photo, e.g. BENCH_QR_ARGS="--labels 48",
BENCH_QR_ARGS ?=
# scan throughput under gunicorn, e.g. BENCH_SCANS_ARGS="--duration 3 --sqlite-only",
BENCH_SCANS_ARGS ?=
# the soak test (16 scanners against gunicorn and PostgreSQL for 2 minutes),
# e.g. `make bench BENCH_SOAK_ARGS="--duration 10"`,
BENCH_SOAK_ARGS ?=
# the delivery page's first load on a throttled phone in Chromium,
# e.g. `make bench BENCH_WIRE_ARGS="--repeat 1 --profiles slow-3g"`,
BENCH_WIRE_ARGS ?=
# and how long `make test` takes, e.g. BENCH_SUITE_ARGS="--only sqlite".
BENCH_SUITE_ARGS ?=

.PHONY: help run test lint format translations compile-translations bench \
	test-sqlite test-postgresql test-browser test-future install install-dev clean vendor \
	vendor-fonts

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-22s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP_RUN): pyproject.toml setup.py | $(BIN)/python
	$(PIP) install --quiet -e .
	@touch $@

$(STAMP_DEV): pyproject.toml setup.py | $(BIN)/python
	$(PIP) install --quiet -e '.[dev]'
	@touch $@ $(STAMP_RUN)

install: $(STAMP_RUN) ## Install kitlog into .venv
install-dev: $(STAMP_DEV) ## Install kitlog and the dev extra into .venv

compile-translations: $(STAMP_RUN) ## Compile the .po catalogs (none yet is fine)
	@if compgen -G "$(TRANSLATIONS)/*/LC_MESSAGES/messages.po" >/dev/null; then \
		$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS); \
	else \
		echo "No catalogs in $(TRANSLATIONS)/<lang>/LC_MESSAGES/messages.po yet: nothing to compile."; \
	fi

run: $(STAMP_RUN) ## Install, migrate, load the demo (unless KITLOG_DEMO=0), serve on 127.0.0.1:PORT (5000)
	@$(MAKE) --no-print-directory compile-translations
	$(BIN)/kitlog db upgrade
	@if [ "$(KITLOG_DEMO)" = "0" ]; then \
		echo "KITLOG_DEMO=0: no demo data loaded."; \
	else \
		$(BIN)/kitlog demo; \
	fi
	@# QR codes carry KITLOG_BASE_URL: by default, the address this command serves on.
	KITLOG_BASE_URL="$${KITLOG_BASE_URL:-http://127.0.0.1:$(PORT)}" \
		$(BIN)/kitlog run --host 127.0.0.1 --port $(PORT)

test: $(STAMP_DEV) ## Install the dev extra; ruff, import contracts, mypy, the suite on SQLite then PostgreSQL
	@$(MAKE) --no-print-directory compile-translations
	$(BIN)/python scripts/run_tests.py

lint: $(STAMP_DEV) ## ruff check, ruff format --check, import-linter contracts, mypy
	$(BIN)/python scripts/run_tests.py --only lint

format: $(STAMP_DEV) ## Fix what ruff can fix and format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test-sqlite: $(STAMP_DEV) ## The suite on SQLite only
	@$(MAKE) --no-print-directory compile-translations
	$(BIN)/python scripts/run_tests.py --only sqlite

test-postgresql: $(STAMP_DEV) ## The suite on PostgreSQL only
	@$(MAKE) --no-print-directory compile-translations
	$(BIN)/python scripts/run_tests.py --only postgresql

test-browser: $(STAMP_DEV) ## Only the browser tests (Debian's Chromium), on SQLite
	@$(MAKE) --no-print-directory compile-translations
	$(BIN)/pytest -m browser tests/browser

# The days ahead `make test-future` sets the clock to, and which half (sqlite, postgresql;
# empty: both), e.g. `make test-future TEST_FUTURE_DAYS=30 TEST_FUTURE_ONLY=sqlite`.
TEST_FUTURE_DAYS ?= 365 1095
TEST_FUTURE_ONLY ?=

test-future: $(STAMP_DEV) ## The suite with the clock a year and three years ahead (needs Debian's faketime for Chromium)
	@$(MAKE) --no-print-directory compile-translations
	@status=0; for days in $(TEST_FUTURE_DAYS); do \
		$(BIN)/python scripts/run_tests.py --clock-offset $$days \
			$(if $(TEST_FUTURE_ONLY),--only $(TEST_FUTURE_ONLY)) || status=1; \
	done; exit $$status

translations: $(STAMP_DEV) ## Extract messages, update (or create) the catalogs, compile
	@mkdir -p $(TRANSLATIONS)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext \
		--ignore-dirs '.* __pycache__ node_modules' \
		--add-comments=TRANSLATORS: --project=kitlog --sort-by-file \
		-o $(TRANSLATIONS)/messages.pot .
	@for lang in $(CATALOG_LANGUAGES); do \
		$(BIN)/pybabel -q update --init-missing --ignore-pot-creation-date --no-fuzzy-matching \
			-i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l $$lang || exit 1; \
	done
	@$(MAKE) --no-print-directory compile-translations

bench: $(STAMP_DEV) ## Every benchmark in bench/ with its same-run baseline (bench/README.md): ledger, import, labels, QR scan rates, reports, scans, soak, first load over slow 3G, the test suite's time
	@$(MAKE) --no-print-directory compile-translations
	$(BIN)/python bench/ledger.py $(BENCH_ARGS)
	$(BIN)/python bench/imports.py $(BENCH_IMPORT_ARGS)
	$(BIN)/python bench/labels.py $(BENCH_LABELS_ARGS)
	$(BIN)/python bench/qr_scan.py $(BENCH_QR_ARGS)
	$(BIN)/python bench/reports.py $(BENCH_REPORTS_ARGS)
	$(BIN)/python bench/scans.py $(BENCH_SCANS_ARGS)
	$(BIN)/python bench/soak.py $(BENCH_SOAK_ARGS)
	$(BIN)/python bench/wire.py $(BENCH_WIRE_ARGS)
	$(BIN)/python bench/suite.py $(BENCH_SUITE_ARGS)
	$(MAKE) --no-print-directory test-future

vendor: ## Refresh kitlog/static/vendor from the npm registry (needs node; versions pinned in package.json)
	npm ci --no-audit --no-fund
	$(PYTHON) scripts/vendor_assets.py

vendor-fonts: ## Refresh the PDFs' fonts in kitlog/fonts from Debian's packages (needs apt-get download)
	$(PYTHON) scripts/vendor_fonts.py

clean: ## Remove caches and compiled catalogs (keeps .venv and instance/)
	rm -rf .pytest_cache .ruff_cache .mypy_cache .hypothesis bench/results
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf
	find $(TRANSLATIONS) -name '*.mo' -delete 2>/dev/null || true

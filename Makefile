# houqin — `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSTEM_PACKAGES := chromium fonts-noto-cjk libharfbuzz-subset0 poppler-utils libpango-1.0-0 libpangoft2-1.0-0
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1
PYTEST_ARGS ?=
# The suite runs on every core (pytest-xdist); a file's tests stay on one worker, so
# session fixtures (a live server, the browser) are built once per worker and the
# Redis-queue tests of one file never meet.
PYTEST_PARALLEL ?= -n auto --dist loadfile

.PHONY: run install migrate seed test lint format system-deps messages clean

run: seed
	$(BIN)/houqin serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(STAMP)

migrate: install
	$(BIN)/houqin migrate

seed: migrate
	$(BIN)/houqin seed-demo

# Debian packages the tests need (browser tests, CJK fonts for PDFs, pdftoppm).
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m tests.contracts.imports  # plugins import only web.sdk; core: no web, no cycles

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install system-deps lint
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# Extract translatable strings and update (or create) the zh-CN and en catalogs of core
# and of every plugin; then translate the new zh_CN entries (a test checks none is left).
KEYWORDS := -k _ -k gettext -k ngettext:1,2 -k pgettext:1c,2
messages: install
	@mkdir -p var
	$(BIN)/pybabel -q extract -F babel.cfg $(KEYWORDS) -o var/core.pot core web
	@for p in core plugins/*; do \
		[ "$$p" = core ] && pot=var/core.pot || { [ -f $$p/__init__.py ] || continue; \
			pot=var/$$(basename $$p).pot; $(BIN)/pybabel -q extract -F babel.cfg $(KEYWORDS) -o $$pot $$p; }; \
		for l in zh_CN en; do \
			if [ -f $$p/locale/$$l/LC_MESSAGES/messages.po ]; then \
				$(BIN)/pybabel -q update -N -i $$pot -d $$p/locale -l $$l; \
			else $(BIN)/pybabel -q init -i $$pot -d $$p/locale -l $$l; fi; \
		done; \
	done

clean:
	rm -rf $(VENV) var/*.sqlite3* var/sessions var/throttle var/mutate

# Benchmark, not a test (DESIGN §8): seeds a throw-away database (PostgreSQL when it answers
# on 127.0.0.1:5432, and SQLite), serves houqin and a bare Litestar+Jinja+driver "floor" with
# 2 granian workers each, loads both with wrk on loopback and prints req/s, p50/p99 and worker
# RSS against the budgets; results also go to var/bench/latest.json. See docs/performance.md.
# e.g. make bench SIZE=1000000 USERS=300000 ENGINE=postgres DURATION=10
SIZE ?= 100000
USERS ?= 2000
ENGINE ?= both
DURATION ?= 10
BENCH_ARGS ?=

.PHONY: bench
bench: install
	@command -v wrk >/dev/null 2>&1 || { \
		echo "Installing Debian package: wrk"; \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		{ $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; } \
			|| echo "wrk could not be installed: falling back to the asyncio+httpx load generator"; \
	}
	$(BIN)/python -m tests.bench.run --size $(SIZE) --users $(USERS) --engine $(ENGINE) \
		--duration $(DURATION) $(BENCH_ARGS)

# Mutation testing of the pure rule modules (not a test: it takes minutes and a person
# reads the score). Prints killed/mutants per module; survivors' diffs go to var/mutate/.
# e.g. make mutate MODULES="states sla"
MODULES ?=

.PHONY: mutate
mutate: install
	$(BIN)/python -m tests.mutation.run $(MODULES)

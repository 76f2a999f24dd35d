# AgentDesk: two commands. `make run` sets up and serves the portal with demo data;
# `make test` sets up and runs every check. Both work on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    ?= .venv
PIP_VERSION := 26.3
PY      := $(VENV)/bin/python
HOST    ?= 127.0.0.1
PORT    ?= 8000
DEPS_ID := $(shell cat requirements.txt | sha1sum | cut -c1-12)
DEV_ID  := $(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)

.PHONY: help run test lint typecheck pytest setup setup-dev browser-deps seed bench lock clean eval eval-check \
        test-services scale scale-stop bench-scale

help:
	@echo "make run    set up (virtualenv, pinned deps, SQLite, demo data) and serve http://$(HOST):$(PORT)"
	@echo "make test   set up and run ruff, mypy and pytest (what .ci/run calls)"
	@echo "make bench  print the benchmark figures"
	@echo "make eval   run the evaluation scenarios (K=3 for pass^3) and store them for the Evals page"
	@echo "make scale          the scaled-out layout on loopback: PostgreSQL, Redis, 2 web + 2 worker processes"
	@echo "make scale-stop     stop it"
	@echo "make test-services  only the integration suite (PostgreSQL, Redis, daphne, runworker)"
	@echo "make bench-scale    tasks/s for 1, 2 and 4 worker processes; recovery after a kill -9"

$(PY):
	@PYBIN=$$(.ci/find-python) && echo "Creating $(VENV) with $$PYBIN" && "$$PYBIN" -m venv $(VENV)
	@$(PY) -m pip install -qq --upgrade "pip==$(PIP_VERSION)"

$(VENV)/.deps-$(DEPS_ID): requirements.txt | $(PY)
	$(PY) -m pip install -qq --require-virtualenv -r requirements.txt
	@$(PY) -c 'import django, sys; assert django.VERSION[0] >= 6, "Django 6 is required, got " + django.get_version()'
	@rm -f $(VENV)/.deps-* && touch $@

$(VENV)/.dev-$(DEV_ID): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -qq --require-virtualenv -r requirements-dev.txt
	@$(PY) -c 'import django, sys; assert django.VERSION[0] >= 6, "Django 6 is required, got " + django.get_version()'
	@rm -f $(VENV)/.dev-* && touch $@

setup: $(VENV)/.deps-$(DEPS_ID)
setup-dev: $(VENV)/.dev-$(DEV_ID)

run: setup
	@.ci/port-free $(HOST) $(PORT) "make run PORT=8001 (HOST=$(HOST))"
	@mkdir -p var
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py seed_demo --url http://$(HOST):$(PORT)/
	@echo ""
	@echo "  AgentDesk is running at http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@echo ""
	$(PY) -m config.serve -b $(HOST) -p $(PORT) config.asgi:application

# Debian's chromium drives the browser tests through Playwright (no browser download).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian chromium for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will be skipped with a reason"; \
	  else echo "warning: chromium missing and cannot be installed here; browser tests will be skipped"; fi; \
	fi

lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: setup-dev
	$(VENV)/bin/mypy

pytest: setup-dev browser-deps
	@mkdir -p var
	@$(VENV)/bin/pytest; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests" >&2; exit 1; fi; exit $$rc

test: lint typecheck pytest eval-check test-services

# The evaluation suite (evals/scenarios) on the configured model, stored for the Evals page.
eval: setup-dev
	@mkdir -p var
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py eval --k $${K:-1}

# What CI runs: the suite on the offline model, failing below evals/threshold.toml.
eval-check: setup-dev
	@mkdir -p var
	env -u OPENAI_API_KEY $(PY) manage.py eval --check --no-store

# The integration suite on real services: PostgreSQL and Redis from Debian packages (installed
# when missing, as root), started on loopback by .ci/services; separate daphne and runworker
# processes, a websocket client, the approval flow, crash tests. Where the services cannot be
# installed (not root, no apt-get) it is skipped with the reason.
test-services: setup-dev
	@mkdir -p var; if .ci/services status >/dev/null 2>&1; then started=0; else started=1; fi; \
	  env="$$(.ci/services start)"; rc=$$?; \
	  if [ $$rc -eq 3 ]; then echo "skipping the integration suite: PostgreSQL/Redis unavailable (reason above)"; exit 0; fi; \
	  if [ $$rc -ne 0 ]; then echo "error: .ci/services could not start PostgreSQL/Redis" >&2; exit $$rc; fi; \
	  eval "$$env"; export DATABASE_URL REDIS_URL; \
	  $(VENV)/bin/pytest tests/integration -m services; rc=$$?; \
	  if [ $$started -eq 1 ]; then .ci/services stop >&2 || true; fi; \
	  if [ $$rc -eq 5 ]; then echo "error: the integration suite collected no tests" >&2; exit 1; fi; exit $$rc

# Logs in var/log/, pid files in var/run/; `make scale-stop` stops everything.
scale: setup
	@.ci/scale start

scale-stop:
	@.ci/scale stop

seed: setup
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py seed_demo

bench: setup-dev
	$(PY) manage.py bench

bench-scale: setup-dev
	@if .ci/services status >/dev/null 2>&1; then started=0; else started=1; fi; \
	  env="$$(.ci/services start)" && eval "$$env" && export DATABASE_URL REDIS_URL && \
	  $(PY) manage.py bench_scale; rc=$$?; \
	  if [ $$started -eq 1 ]; then .ci/services stop >&2 || true; fi; exit $$rc

# Re-resolve the pins from the direct dependencies in pyproject.toml.
lock:
	rm -rf .venv-lock && $$(.ci/find-python) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet .
	.venv-lock/bin/pip freeze --exclude-editable | grep -v '^agentdesk' > requirements.txt.new
	rm -rf .venv-lock && echo "wrote requirements.txt.new; review and move into place"

clean:
	rm -rf $(VENV) staticfiles .mypy_cache .ruff_cache .pytest_cache

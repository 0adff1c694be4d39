# The verbs a person types. Each installs what it needs first.
#   make up      the whole platform on this machine, with a demo run
#   make test    the whole test suite against the real stack
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK := deploy/local/stack.sh
SERVICES := deploy/local/services.sh
# Endpoints: the environment's if set, else the local stack's (.stack/env).
WITH_ENV := deploy/local/with-env.sh

.PHONY: help install stack stack-down migrate bootstrap model up down status demo test test-unit bench lint format clean

help:
	@echo "make up        install, start the local stack and the five services, run a demo pipeline"
	@echo "make down      stop the services and the local stack"
	@echo "make status    what runs, where"
	@echo "make test      install, start what the tests need, run the whole suite"
	@echo "make test-unit the fast tests that need nothing running"
	@echo "make bench     enrich -> score and the scorer alone on 10,000 properties, AVM training,"
	@echo "               docgen render, scraper crawl rate"
	@echo "make migrate   apply the database migrations"
	@echo "make model     train and promote a first valuation model when none is in production"
	@echo "make lint      ruff and mypy"

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[scraper,enricher,scorer,docgen,gateway,dev]"
	@touch $@

install: $(VENV)/.installed
	@deploy/local/system-packages.sh

stack: install
	@$(STACK) up

stack-down:
	@$(STACK) down

migrate: stack
	@$(WITH_ENV) $(PY) -m alembic upgrade head

bootstrap: stack
	@$(WITH_ENV) $(PY) -m shared.bootstrap

# A fresh clone scores before anyone trains: the first AVM, from the configured sales data.
model: migrate bootstrap
	@$(WITH_ENV) $(PY) -m services.scorer ensure-model

up: migrate bootstrap model
	@$(WITH_ENV) $(SERVICES) start
	@$(WITH_ENV) $(PY) -m deploy.local.demo

down:
	@-$(SERVICES) stop
	@$(STACK) down

status:
	@$(STACK) status
	@$(SERVICES) status

# The tests and benchmarks run services of their own, each in consumer groups of its own:
# the ones `make up` started would take the requests they publish too (a test then finds
# the demo scraper's job for its crawl), so those are stopped first; `make up` restarts them.
test: migrate bootstrap model
	@$(SERVICES) stop
	@$(WITH_ENV) $(PY) -m pytest

test-unit: install
	@$(PY) -m pytest tests/unit

bench: migrate bootstrap model
	@$(SERVICES) stop
	@$(WITH_ENV) $(PY) -m tests.bench.pipeline
	@$(WITH_ENV) $(PY) -m tests.bench.scorer
	@$(WITH_ENV) $(PY) -m tests.bench.gateway_api
	@$(WITH_ENV) $(PY) -m tests.bench.avm_accuracy
	@$(WITH_ENV) $(PY) -m pytest tests/bench -q -s

lint: install
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .
	@$(PY) -m mypy

format: install
	@$(PY) -m ruff check --fix .
	@$(PY) -m ruff format .

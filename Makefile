# Two commands: `make demo` (SQLite, no broker) and `make test` (PostgreSQL + Redis).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
DEMO_ENV := DEBUG=1 DATABASE_URL=sqlite:///$(CURDIR)/var/ledgerline.sqlite3

.PHONY: demo test venv lint bench

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip setuptools
	$(VENV)/bin/pip install -q -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	mkdir -p var
	$(DEMO_ENV) $(VENV)/bin/python manage.py migrate --noinput -v0
	$(DEMO_ENV) $(VENV)/bin/python manage.py load_demo_data
	$(DEMO_ENV) $(VENV)/bin/python manage.py load_billing_demo
	@echo "Ledgerline is starting on http://127.0.0.1:8000 (Ctrl-C stops it)"
	$(DEMO_ENV) $(VENV)/bin/python manage.py runserver 127.0.0.1:8000

test:
	bash scripts/test.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .

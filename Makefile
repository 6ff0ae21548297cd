# Two commands: `make demo` (SQLite, no broker) and `make test` (PostgreSQL + Redis).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: demo test venv lint bench

$(STAMP): pyproject.toml
	# Debian's python3 needs python3-venv for this; install it when missing and we are root.
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV) || \
		(apt-get update -qq && apt-get install -y -qq python3-venv && $(PY) -m venv $(VENV))
	$(VENV)/bin/pip install -q --upgrade pip setuptools
	$(VENV)/bin/pip install -q -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	bash scripts/demo.sh

test:
	bash scripts/test.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# EduPulse: `make demo` and `make test` do all set-up on a fresh machine with Python 3.11.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export EDUPULSE_HOME ?= $(CURDIR)/var

.PHONY: install demo test lint db clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: install
	@bash scripts/demo.sh

test: install lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

db: install
	$(BIN)/edupulse db upgrade

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

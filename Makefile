# zsfield — two commands do everything on a fresh machine:
#   make demo   create the virtual environment, install, seed the demo database on first use, open the app
#   make test   the same set-up, then ruff (lint + format check) and the whole pytest suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint bench clean-demo

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	ZSFIELD_HOME="$(CURDIR)/demo" $(BIN)/zsfield --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest -q -n 2 --dist loadfile

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean-demo:
	rm -rf demo

.PHONY: load
load: $(STAMP)
	$(BIN)/python bench/load_test.py

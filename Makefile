# akhbar — the whole set-up is `make demo` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_DB ?= sqlite:///.demo/akhbar-demo.db

.PHONY: demo test lint typecheck pytest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

demo: $(VENV)/.installed
	$(BIN)/akhbar --db $(DEMO_DB) demo --fresh

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check akhbar tests benchmarks
	$(BIN)/ruff format --check akhbar tests benchmarks

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy akhbar

pytest: $(VENV)/.installed-dev
	$(BIN)/pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .demo .mypy_cache .ruff_cache .pytest_cache

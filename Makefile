# akhbar — the whole set-up is `make demo` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_DB ?= sqlite:///.demo/akhbar-demo.db

.PHONY: demo test test-fast lint typecheck pytest browser dashboard-screenshots clean

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

# Two pytest-xdist workers, each test file on one worker (its module fixtures are made once):
# most tests wait on crawls, servers and subprocesses, so the suite takes about half the time of
# one worker on two cores (docs/benchmarks.md, "Test suite"). PYTEST_WORKERS=0 runs it in this
# process (xdist's own -n 0).
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL = -n $(PYTEST_WORKERS) --dist loadfile

pytest: $(VENV)/.installed-dev browser
	$(BIN)/pytest $(PYTEST_PARALLEL)

# The dashboard's browser tests drive Debian's chromium. As root with apt (CI, the dev
# machines) it is installed when missing; otherwise those tests are skipped with the reason.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the dashboard's browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium not installed (apt-get install chromium): browser tests will be skipped"; \
	  fi; }

# Refresh docs/dashboard-*.png from the demo database (docs/deploy.md, "Dashboard").
dashboard-screenshots: $(VENV)/.installed-dev browser
	$(BIN)/akhbar --db $(DEMO_DB) demo --fresh
	$(BIN)/akhbar --db $(DEMO_DB) serve --port 8765 & pid=$$!; \
	  trap 'kill $$pid' EXIT; \
	  for i in $$(seq 60); do curl -sf http://127.0.0.1:8765/ >/dev/null && break; sleep 1; done; \
	  $(BIN)/python tests/dashboard/browser.py http://127.0.0.1:8765

test: lint typecheck pytest

# The quick tier while developing: lint, typecheck and every test not marked slow (no crawl,
# server, browser or wheel build; the storage tests on SQLite and PostgreSQL). `make test`
# runs the whole suite, as CI does.
test-fast: lint typecheck
	$(BIN)/pytest $(PYTEST_PARALLEL) -m "not slow"

clean:
	rm -rf $(VENV) .demo .mypy_cache .ruff_cache .pytest_cache

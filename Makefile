# Kaifang: `make demo` and `make test` are the two commands a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# Machine-local state (Prefect home, default key file) stays inside the project unless already set; telemetry off.
export KAIFANG_STATE ?= $(CURDIR)/.kaifang
export PREFECT_HOME ?= $(CURDIR)/.kaifang/prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

.PHONY: setup demo test lint bench clean system-deps lock

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Kaifang needs Python 3.11 or newer as $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Exact versions come from requirements.lock; the project itself is installed editable without deps.
$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

# Debian's Chromium for the portal's browser tests (never a browser download by a test tool).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium)) \
	      || echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "warning: chromium missing (apt-get install chromium); browser tests will be skipped"; fi; \
	fi
	@if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get install -y -qq fonts-noto-cjk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq fonts-noto-cjk)) \
	      || echo "warning: could not install fonts-noto-cjk; Chinese text in the browser and plots may show as boxes"; \
	  else echo "warning: no CJK font (apt-get install fonts-noto-cjk); Chinese text may show as boxes"; fi; \
	fi

setup: $(VENV)/.installed system-deps

demo: setup
	$(BIN)/kaifang keygen --if-missing
	$(BIN)/kaifang release configs/datasets

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .

bench: setup
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf .kaifang catalog-out .pytest_cache

# After changing dependencies in pyproject.toml: install them into .venv, then record exact versions.
lock:
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@(echo "# Exact versions installed by \`make\` (pip freeze of a working environment; regenerate with \`make lock\`)."; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^kaifang') > requirements.lock

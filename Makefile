# saigapop — the two commands a new user runs are `make test` and (once the report lands) `make report`.
# Each target sets up what it needs: a .venv from Python 3.12 with the locked, tested versions.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
VPY       := $(VENV)/bin/python
LOCK      := requirements/lock.txt
STAMP     := $(VENV)/.installed
# Python 3.12: pyenv (selected by .python-version) if present, else python3.12 on PATH.
PYTHON312 ?= $(shell (pyenv which python3.12 2>/dev/null || command -v python3.12 || true) | head -n1)

.PHONY: help venv test test-slow test-all report docs lint format bench lock clean

help:  ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): $(LOCK) pyproject.toml
	@if [ -x "$(VPY)" ] && ! $(VPY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))'; then \
	  echo "Existing $(VENV) is not Python 3.12: recreating"; rm -rf $(VENV); fi
	@if [ ! -x "$(VPY)" ]; then \
	  if [ -z "$(PYTHON312)" ]; then echo "Python 3.12 not found (install it, e.g. 'pyenv install 3.12')" >&2; exit 1; fi; \
	  echo "Creating $(VENV) with $(PYTHON312)"; "$(PYTHON312)" -m venv $(VENV); fi
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r $(LOCK)
	$(VPY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)  ## Create or refresh .venv from the lock

test: $(STAMP)  ## Unit tests plus the `smoke` tests (real sampler, tiny problem)
	$(VPY) -m pytest -m "not slow" --durations=15

test-slow: $(STAMP)  ## The opt-in slow tier: full fits, recovery, SBC
	$(VPY) -m pytest -m slow

test-all: $(STAMP)  ## Every tier
	$(VPY) -m pytest

report: $(STAMP)  ## The justification report for the three populations from the bundled data -> reports/
	$(VPY) -m saigapop.cli report --out reports --validation-evidence docs/_static/validation/checks.json

docs: $(STAMP)  ## Build the Sphinx documentation (warnings are errors)
	$(VPY) -m sphinx -W --keep-going -b html docs docs/_build/html

lint: $(STAMP)  ## ruff lint and format check
	$(VPY) -m ruff check .
	$(VPY) -m ruff format --check .

format: $(STAMP)  ## Apply ruff formatting and safe fixes
	$(VPY) -m ruff check --fix .
	$(VPY) -m ruff format .

bench: $(STAMP)  ## Run every benchmark script
	@for b in benchmarks/*.py; do echo "== $$b"; $(VPY) $$b || exit 1; done

lock: $(STAMP)  ## Re-resolve requirements/lock.txt from pyproject.toml
	$(VPY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --extra docs --python-version 3.12 \
	  --python-platform x86_64-unknown-linux-gnu -o $(LOCK)

clean:  ## Remove the venv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist *.egg-info

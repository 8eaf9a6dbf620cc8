# Two entry points: `make demo` runs the service with a live sandbox; `make test` runs every check.
# The service is the root project; the API sandboxes and the demo are their own distribution in
# sandboxes/ (not in the service's wheel or image), installed beside it, both editable.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench install browser clean lock

$(STAMP): pyproject.toml sandboxes/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -e ./sandboxes
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/upsales-fortnox-demo

lint: $(STAMP)
	$(BIN)/ruff check src sandboxes tests bench migrations
	$(BIN)/ruff format --check src sandboxes tests bench migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

# Debian's chromium and chromedriver for the console's browser tests (apt-get, when missing).
browser:
	bash scripts/install-browser

test: lint browser
	$(BIN)/python -m pytest

BENCHMARKS := intake pacing won_deals initial_sync catch_up flood shared_budget

bench: $(STAMP)
	for name in $(BENCHMARKS); do $(BIN)/python bench/$$name.py --quick || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache data

# The container's lock files (hashes of every file), from PyPI; rerun after changing dependencies.
# The service's only: the sandboxes (sandboxes/pyproject.toml) are not in the image.
lock:
	$(PYTHON) -m venv .lock-venv && .lock-venv/bin/pip install --quiet pip-tools
	.lock-venv/bin/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml
	.lock-venv/bin/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
		--only-build-deps --all-build-deps --allow-unsafe \
		--output-file requirements-build.lock pyproject.toml
	rm -rf .lock-venv

# Two entry points a new user needs: `make demo` and `make test`. Both create .venv on first use.
# `make check` runs the lint and type gates that .ci/run runs before the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# What the gates look at (.ci/run uses these targets too).
LINT_SCOPE := .
TYPED      := tui_crm onec_sandbox

.PHONY: demo test install check lint typecheck bench soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,sandbox]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tui-crm demo

# The suite on every core, at most four workers (pytest-xdist; worksteal evens out the long e2e
# tests). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --maxprocesses 4 --dist worksteal

check: lint typecheck

lint: $(STAMP)
	$(BIN)/ruff check --output-format concise $(LINT_SCOPE)

typecheck: $(STAMP)
	$(BIN)/mypy $(TYPED)

bench: $(STAMP)
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/picker.py
	$(BIN)/python bench/operators.py

# The hypothesis suite alone (tests/property, >= 10 000 derandomized cases), and its soak profile:
# ten times the cases, freshly drawn each run (a failure prints the blob that reproduces it).
.PHONY: property property-soak
property: $(STAMP)
	$(BIN)/python -m pytest -q tests/property

property-soak: $(STAMP)
	HYPOTHESIS_PROFILE=soak $(BIN)/python -m pytest -q tests/property

# Fault soak (RELIABILITY.md): ≥ 1000 randomized pushes under every fault kind against the real
# sandbox process; exits non-zero on anything lost, duplicated, stale or stuck.
SOAK_ARGS ?= --runs 1000 --seed 1
.PHONY: soak
soak: $(STAMP)
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info

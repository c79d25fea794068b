# Two entry points a new user needs: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,sandbox]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tui-crm demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/picker.py

clean:
	rm -rf $(VENV) build *.egg-info

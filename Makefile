# The two commands of the README: `make bench` (the main job) and `make test` (the tests).
# Both need only `python3.14` on PATH and PyPI; everything else is installed here.
PYTHON ?= python3.14
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: test bench lint

$(BIN)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest -m "not slow"

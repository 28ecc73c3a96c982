# Two commands set everything up on a fresh machine:
#   make lab    create .venv, install the workbench, open JupyterLab on the quickstart
#   make test   create .venv, install the workbench with its test tools, run every check
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8888

.PHONY: lab test lint typecheck pytest schema bench canvas-js clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Jupyter refuses to run as root without --allow-root (containers, CI machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(BIN)/.installed
	$(BIN)/jupyter lab --port=$(PORT) $(ROOT_FLAG) notebooks/01-quickstart.ipynb

test: lint typecheck pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

pytest: $(BIN)/.installed
	$(BIN)/pytest $(PYTEST_ARGS)

schema: $(BIN)/.installed
	$(BIN)/python -m workbench.schema

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_io.py
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_export.py
	$(BIN)/python benchmarks/bench_canvas.py

canvas-js:
	cd widgets/js && npm ci && npm run build

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache

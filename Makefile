# Two commands set everything up on a fresh machine:
#   make lab    create .venv, install the workbench, open JupyterLab on the quickstart
#   make test   create .venv, install the workbench with its test tools, run every check
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8888
# Tested versions of every dependency (the package's own ranges stay open for users).
# `make lock` regenerates it; `make test-latest` tests today's newest releases instead.
CONSTRAINTS ?= requirements/constraints.txt
PIP_CONSTRAINT_FLAG := $(if $(CONSTRAINTS),-c $(CONSTRAINTS),)

.PHONY: lab test test-latest lint typecheck pytest jstest schema bench lock canvas-js labextension vscode-extension clean

# The prebuilt front-end extension (labextension/prebuilt, committed) is installed as a copy
# into $(VENV)/share/jupyter/labextensions/, editable install or not: a new build reinstalls.
LABEXTENSION := labextension/prebuilt/package.json labextension/install.json

$(BIN)/.installed: pyproject.toml $(CONSTRAINTS) $(LABEXTENSION)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(PIP_CONSTRAINT_FLAG) -e '.[dev]'
	touch $@

# Jupyter refuses to run as root without --allow-root (containers, CI machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(BIN)/.installed
	$(BIN)/jupyter lab --port=$(PORT) $(ROOT_FLAG) notebooks/01-quickstart.ipynb

test: lint typecheck jstest pytest

# Not part of `make test` or CI: the same checks against the newest releases on the index,
# in a separate environment, to see early what the next `make lock` will bring.
test-latest:
	rm -rf .venv-latest
	$(MAKE) test VENV=.venv-latest CONSTRAINTS=

# Regenerate the lock files from a fresh resolution of pyproject.toml's ranges:
# requirements/constraints.txt (every package of the dev and bench extras, used by
# `make test` and CI) and binder/requirements.txt (what the notebooks need on Binder).
lock:
	$(PYTHON) requirements/lock.py

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(BIN)/.installed
	$(BIN)/mypy

# --durations=15: every run ends with its 15 slowest tests, so a slow newcomer shows.
pytest: $(BIN)/.installed
	$(BIN)/pytest --durations=15 $(PYTEST_ARGS)

schema: $(BIN)/.installed
	$(BIN)/python -m workbench.json_schema

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_io.py
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_instructions.py
	$(BIN)/python benchmarks/bench_export.py
	$(BIN)/python benchmarks/bench_canvas.py
	$(BIN)/python benchmarks/bench_layout.py
	$(BIN)/python benchmarks/bench_lsp.py

# Unit tests of the front ends' pure modules (widgets/js/src, labextension/src), with
# Node's own test runner: no npm install, no browser. The shell expands the glob: Node 22
# and newer read a bare directory argument as a file name.
jstest:
	cd widgets/js && node --test test/*.test.js
	cd labextension && node --test test/*.test.js

canvas-js:
	cd widgets/js && npm ci && npm run build

# The VS Code extension (editors/vscode: a client of `threat-workbench lsp`), type-checked,
# bundled with esbuild and packaged with @vscode/vsce into
# editors/vscode/ai-threat-workbench.vsix (`code --install-extension` it).
vscode-extension:
	cd editors/vscode && npm ci && npm run package

# The JupyterLab 4 / Notebook 7 extension (labextension/src: readable names for the risk
# exporters in the Save and Export menu), built with the venv's jupyter-builder into
# labextension/prebuilt (committed: `pip install` needs no Node), then reinstalled so that
# the venv's copy is the new build. `jupyter labextension list` shows it.
labextension: $(BIN)/.installed
	cd labextension && npm ci && $(abspath $(BIN))/jupyter-builder build .
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(BIN)/.installed

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache

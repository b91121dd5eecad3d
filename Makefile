# 阳江无障碍设施督导地图 — the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed

.PHONY: setup run test lint bench seed clean help

help:
	@echo "make run    start the app with demo data on http://localhost:$${STREAMLIT_SERVER_PORT:-8501}"
	@echo "make test   ruff + the whole pytest suite"
	@echo "make bench  run the benchmarks and write bench/RESULTS.md"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[dev]'
	touch $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.installed

setup: $(STAMP) node_modules/.installed
	$(PY) -m ui.install_assets

seed: setup
	$(PY) -m audit db upgrade
	$(PY) -m audit demo seed

run: seed
	$(PY) -m streamlit run streamlit_app.py

lint: setup
	$(VENV)/bin/ruff check .

test: lint
	$(PY) -m pytest

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) node_modules static/vendor var/cache

# 阳江无障碍设施督导地图 — the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
# Every Python package, dev tools included, pinned with hashes; refreshed by `make lock`.
LOCK   := requirements.lock
# pytest-xdist workers for `make test` (auto: one per core; 0 runs everything in one process).
# The browser tests share one app server and Chromium on one worker (tests/conftest.py).
TEST_WORKERS ?= auto

.PHONY: setup run test lint bench seed lock clean help audit-deps screenshots

help:
	@echo "make run    start the app with demo data on http://localhost:$${STREAMLIT_SERVER_PORT:-8501}"
	@echo "make test   ruff, import contracts, then the whole pytest suite with mypy beside it"
	@echo "make bench  run the benchmarks and write bench/RESULTS.md"
	@echo "make lock   re-resolve $(LOCK) from pyproject.toml (then make setup installs it)"
	@echo "make audit-deps  check every locked package against PyPI's vulnerability data"
	@echo "make screenshots retake docs/screenshots/*.png from the demo in headless Chromium"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Installs exactly the locked versions (hash-checked), then the project itself without
# resolving again. Re-runs only when the lock (or pyproject.toml) changed. uv installs the
# same hash-checked lock as pip would, in seconds instead of minutes (parallel, cached).
# --compile-bytecode writes the .pyc files at install time, as pip does and uv does not by
# default: where Python may not write them (PYTHONDONTWRITEBYTECODE, set on these machines
# and in many container images), every process would otherwise compile SQLAlchemy, pandas
# and Streamlit from source at each start (a cold rankings process: 1.8 s instead of 0.5 s).
$(STAMP): $(LOCK) pyproject.toml | $(VENV)/bin/uv
	$(VENV)/bin/uv pip install --quiet --python $(PY) --compile-bytecode --require-hashes -r $(LOCK)
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	touch $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.installed

# The project's own modules are compiled too (a second or less; sources edited later are
# recompiled in memory, as Python checks each .pyc against its source).
setup: $(STAMP) node_modules/.installed
	$(PY) -m ui.install_assets
	$(PY) -m compileall -q -j0 audit geodata ui bench serve.py streamlit_app.py >/dev/null

seed: setup
	$(PY) -m audit db upgrade
	$(PY) -m audit demo seed

run: seed
	$(PY) -m audit network compact
	$(PY) -m streamlit run serve.py

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-logo

# The same checks as `make lint`; mypy (a minute or more on a fresh clone's cold cache) runs
# beside pytest, and both must pass. Each test's time is kept in .venv/junit.xml, to see where
# the CI time goes.
test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-logo
	$(VENV)/bin/mypy > $(VENV)/mypy.log 2>&1 & types=$$!; \
	$(PY) -m pytest -n $(TEST_WORKERS) --durations=30 --junitxml=$(VENV)/junit.xml; tests=$$?; \
	wait $$types; typed=$$?; cat $(VENV)/mypy.log; \
	[ $$tests -eq 0 ] && [ $$typed -eq 0 ]

bench: setup
	$(PY) -m bench

# Every locked package against the vulnerability data PyPI serves (OSV). --strict fails when a
# package cannot be checked, so an unreachable source is a failure, never a silent pass.
audit-deps: setup
	$(VENV)/bin/pip-audit --requirement $(LOCK) --no-deps --disable-pip --strict

screenshots: setup
	$(PY) -m scripts.screenshots

# uv (a dev dependency, so the lock pins it too) resolves for every platform and Python >= 3.11.
# Without a venv yet, uv itself is bootstrapped from PyPI within the range pyproject.toml allows.
$(VENV)/bin/uv: | $(PY)
	$(PIP) install --quiet "$$(sed -n 's/^ *"\(uv[>=<].*\)",$$/\1/p' pyproject.toml)"

lock: | $(VENV)/bin/uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --quiet --output-file $(LOCK)

clean:
	rm -rf $(VENV) node_modules static/vendor var/cache

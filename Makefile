# Two commands for a newcomer: `make run` and `make test`. Both install into .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

# No lakehouse setting is derived here: resources/settings.py derives every default (the home, the sources root, S1,
# the Dagster home) from LAKEHOUSE_HOME, default the repository's var/; `$(SETTINGS) dagster-home` asks it
SETTINGS = $(PY) -m resources.settings
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
UI_PORT ?= 3000

.PHONY: install spark browser run test bench bench-report ui clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

# dbt-spark and PySpark in an environment of their own (resources/spark_build.py says why), from pyproject's `spark`
SPARK_VENV ?= .venv-spark
$(SPARK_VENV)/.installed: pyproject.toml $(VENV)/.installed
	@test -x $(SPARK_VENV)/bin/python || $(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PY) -c "import tomllib; print('\\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['spark']))" > $(SPARK_VENV)/requirements.txt
	$(SPARK_VENV)/bin/python -m pip install --quiet -r $(SPARK_VENV)/requirements.txt
	@touch $@

spark: $(SPARK_VENV)/.installed

DBT_MANIFEST := dbt_project/target/manifest.json
DBT_FILES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds -type f 2>/dev/null) dbt_project/dbt_project.yml

# the dbt manifest is prepared here (dbt parse never opens the warehouse), not when Python imports the code; the
# profile reads LAKEHOUSE_HOME
$(DBT_MANIFEST): $(VENV)/.installed $(DBT_FILES)
	cd dbt_project && LAKEHOUSE_HOME="$$(cd .. && $(SETTINGS) home)" \
	  LAKEHOUSE_WAREHOUSE_MEMORY="$$(cd .. && $(SETTINGS) warehouse-memory)" ../$(VENV)/bin/dbt parse --quiet --profiles-dir .

# the Dagster instance's storage is created once here (dagster.yaml copied, migrated): a UI and a run starting
# together on an empty Dagster home race on it
install: $(VENV)/.installed $(DBT_MANIFEST)
	@$(SETTINGS) prepare-dagster-home >/dev/null

run: install
	$(PY) scripts/demo.py

# the real-browser test drives Debian's Chromium (no browser can be downloaded here): install it when missing
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && { apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
	       || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; }; }; } \
	  || echo "Debian's chromium is missing and could not be installed (as root: apt-get install chromium)" >&2

test: install spark browser
	$(PY) -m pytest

# 15k, 100k, 1M and 3M enterprises x 12 months (sources cached in var/bench): about 1.5 hours, most of it at 1M and
# 3M; the floors (bare DuckDB reruns the whole build's SQL) are measured up to 1M only (--floors-up-to)
BENCH_SIZES ?= 15000 100000 1000000 3000000
bench: install
	$(PY) -m benchmarks run --sizes $(BENCH_SIZES)

bench-report: install
	$(PY) -m benchmarks report

# `dagster dev` is told the instance (without DAGSTER_HOME it would keep its runs in a temporary one)
ui: install
	@echo "Dagster UI: http://127.0.0.1:$(UI_PORT)"
	DAGSTER_HOME="$$($(SETTINGS) dagster-home)" $(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p $(UI_PORT)

clean:
	rm -rf var

# `make run` sets everything up and runs the daily job end to end on embedded defaults; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup run dashboard test test-fast lint constraints clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt pyproject.toml plugins/tencent_kyc_dev/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt -c constraints.txt
	touch $@

run: setup
	$(BIN)/python -m tencent_kyc_dev.demo

# The Airflow UI with the KYC dashboard over what `make run` produced (Ctrl-C stops it).
dashboard: setup
	$(BIN)/python -m tencent_kyc_dev.dashboard

test: setup
	tests/services/start_postgres.sh
	tests/services/install_chromium.sh
	$(BIN)/python -m pytest

# The edit loop: no PostgreSQL, no browser, no multi-process stack, nothing over ten seconds; both cores.
test-fast: setup
	$(BIN)/python -m pytest -n 2 -m "not (postgres or slow or stack or browser)"

lint: setup
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/mypy

# Re-pin every dependency after changing requirements*.txt (needs network access to PyPI).
constraints:
	rm -rf /tmp/kyc-constraints && $(PYTHON) -m venv /tmp/kyc-constraints
	/tmp/kyc-constraints/bin/pip install --quiet --upgrade pip
	/tmp/kyc-constraints/bin/pip install --quiet -r requirements.txt -r requirements-dev.txt
	{ echo "# Exact versions of every dependency, so set-up resolves in seconds and is reproducible."; \
	  echo "# Regenerate: make constraints"; \
	  /tmp/kyc-constraints/bin/pip freeze --exclude-editable | grep -viE '^(pip|setuptools)=='; } > constraints.txt

clean:
	rm -rf $(VENV) var

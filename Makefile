# The two commands of the README: `make run` (whole pipeline) and `make test` (test suite).
CONFIG ?= default
ARGS ?=

# The Python that runs everything. Inside a virtualenv, conda or Colab, or with a Python whose pip
# installs freely (pyenv, a Docker image's Python), that is the Python itself. A system Python that
# refuses `pip install` (PEP 668: Debian 12, Ubuntu 24.04 answer "externally-managed-environment")
# gets a ./.venv of its own, created on first use.
SYSTEM_PYTHON ?= python3
PYTHON ?= $(shell $(SYSTEM_PYTHON) -c 'import os, sys, sysconfig; managed = os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")); inside = sys.prefix != sys.base_prefix or "CONDA_PREFIX" in os.environ or "COLAB_RELEASE_TAG" in os.environ; print(".venv/bin/python" if managed and not inside else sys.executable)')
SCRIPTS = $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null)

.PHONY: install venv run test test-fast lint crawl data report clean-artifacts

install: venv
	$(PYTHON) -m pip install -q -r requirements.txt
	$(PYTHON) -m pip install -q --no-deps -e .

venv:
ifeq ($(PYTHON),.venv/bin/python)
	@test -x .venv/bin/python || $(SYSTEM_PYTHON) -m venv .venv || { \
	  echo "error: could not create .venv. On Debian or Ubuntu: sudo apt install python3-venv, then run make again." >&2; exit 1; }
endif

# Executes every notebook in notebooks/ in order, in place, with outputs; then rewrites the README's
# result tables from the results files the notebooks wrote (results/*.json).
run: install
	$(PYTHON) -m artdl run --config $(CONFIG) $(ARGS)
	$(PYTHON) -m artdl report

# Downloads every shipped painting set that is not in a local mirror into data/raw/<name>
# (checksummed, from the pinned sources in configs/sources/; `make data ARGS=aic_paintings` for one).
data: install
	$(PYTHON) -m artdl data fetch $(ARGS)

# What CI runs (.ci/run): lint, the import contract, the README against the results, every test.
test: install
	$(PYTHON) -m ruff check src tests benchmarks
	$(SCRIPTS)/lint-imports
	$(PYTHON) -m artdl report --check
	$(PYTHON) -m pytest --durations=15 $(ARGS)

# The edit-run loop: unit tests only (no notebook runs, no browser), in a minute or two.
test-fast: install
	$(PYTHON) -m pytest -m "not integration and not browser" $(ARGS)

# Rewrites the README and docs tables from results/*.json and benchmarks/results/*.json.
report:
	$(PYTHON) -m artdl report

lint:
	$(PYTHON) -m ruff check src tests benchmarks
	$(SCRIPTS)/lint-imports

clean-artifacts:
	find data/raw data/processed models -mindepth 1 ! -name .gitkeep ! -name README.md -exec rm -rf {} +

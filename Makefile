# The two commands of the README: `make run` (whole pipeline) and `make test` (test suite).
PYTHON ?= python3
CONFIG ?= default
ARGS ?=

.PHONY: install run test lint crawl data report clean-artifacts

install:
	$(PYTHON) -m pip install -q -r requirements.txt
	$(PYTHON) -m pip install -q --no-deps -e .

# Executes every notebook in notebooks/ in order, in place, with outputs; then rewrites the README's
# result tables from the results files the notebooks wrote (results/*.json).
run: install
	$(PYTHON) -m artdl run --config $(CONFIG) $(ARGS)
	$(PYTHON) -m artdl report

# Downloads every shipped painting set that is not in a local mirror into data/raw/<name>
# (checksummed, from the pinned sources in configs/sources/; `make data ARGS=aic_paintings` for one).
data: install
	$(PYTHON) -m artdl data fetch $(ARGS)

test: install
	$(PYTHON) -m ruff check src tests benchmarks
	$(PYTHON) -m artdl report --check
	$(PYTHON) -m pytest $(ARGS)

# Rewrites the README and docs tables from results/*.json and benchmarks/results/*.json.
report:
	$(PYTHON) -m artdl report

lint:
	$(PYTHON) -m ruff check src tests benchmarks

clean-artifacts:
	find data/raw data/processed models -mindepth 1 ! -name .gitkeep ! -name README.md -exec rm -rf {} +

# The two commands of the README: `make run` (whole pipeline) and `make test` (test suite).
PYTHON ?= python3
CONFIG ?= default
ARGS ?=

.PHONY: install run test lint crawl data clean-artifacts

install:
	$(PYTHON) -m pip install -r requirements.txt
	$(PYTHON) -m pip install --no-deps -e .

# Executes every notebook in notebooks/ in order, in place, with outputs.
run: install
	$(PYTHON) -m artdl run --config $(CONFIG) $(ARGS)

# Downloads every shipped painting set that is not in a local mirror into data/raw/<name>
# (checksummed, from the pinned sources in configs/sources/; `make data ARGS=aic_paintings` for one).
data: install
	$(PYTHON) -m artdl data fetch $(ARGS)

test: install
	$(PYTHON) -m ruff check src tests benchmarks
	$(PYTHON) -m pytest $(ARGS)

lint:
	$(PYTHON) -m ruff check src tests benchmarks

clean-artifacts:
	find data/raw data/processed models -mindepth 1 ! -name .gitkeep ! -name README.md -exec rm -rf {} +

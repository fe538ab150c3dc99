# lensdesk: `make run` serves it, `make test` runs the whole suite; both install what is missing first.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint system deps bench clean docker-test

system:
	bash scripts/install-system.sh

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,postgres]'
	touch $(STAMP)

deps: system $(STAMP)

run: deps
	$(BIN)/lensdesk serve

# Two phases (scripts/run-tests.sh): the suite on two pytest-xdist workers with the browser tests kept on one, then
# the frame-rate and within-a-second tests alone. Each phase is bounded by `timeout`.
test: deps
	bash scripts/install-rt.sh  # a real Request Tracker for the connector's test
	bash scripts/run-tests.sh

test-fast: deps
	$(BIN)/python -m pytest -q -m "not slow and not e2e"

lint: deps
	$(BIN)/ruff check lensdesk calls helpqueue nodesync reanalysis vocabulary signaling media diagnostics guidance atrest tickets web tests bench
	$(BIN)/mypy

bench: deps
	$(BIN)/python bench/ocr_accuracy.py
	$(BIN)/python bench/time_to_finding.py
	$(BIN)/python bench/recording_cost.py
	$(BIN)/python bench/capacity.py
	$(BIN)/python bench/signaling.py

# Not part of `make test`: builds the images (no registry needed), runs docker/compose.yaml, a cross-node call.
docker-test: deps
	bash scripts/docker-test.sh

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache

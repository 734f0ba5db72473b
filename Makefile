# Every target creates or reuses the virtual environment first, so each is the one command it claims to be.
PYTHON ?= $(shell scripts/find-python.sh)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_DIR   := tests/node
NODE_STAMP := $(NODE_DIR)/node_modules/.installed

.PHONY: test lint types unit integration e2e demo dev serve bench load soak build clean venv

venv: $(STAMP) $(NODE_STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# The official Node.js SDKs the integration tests run as a second client (tests/node); skipped without npm.
$(NODE_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(NODE_DIR) --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm not found: the Node.js SDK tests will be skipped"; \
	fi

## make test: lint, types and the whole test suite (what CI runs)
test: lint types
	$(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: venv
	$(BIN)/mypy

## make unit / integration / e2e: one tier of the suite, the product's and the local cloud's tests together
unit: venv
	$(BIN)/python -m pytest -q tests/unit tests/localcloud/unit

integration: venv
	$(BIN)/python -m pytest -q tests/integration tests/localcloud/integration

e2e: venv
	$(BIN)/python -m pytest -q tests/e2e tests/soak

## make demo: the whole product on a local cloud, fed the sample events through all three paths, then stopped
demo: venv
	$(BIN)/python scripts/demo.py

## make dev: the local cloud plus the three functions of s.yaml, until Ctrl-C
dev: venv
	$(BIN)/python -m localcloud dev

## make serve: the local cloud in the foreground (Ctrl-C stops it)
serve: venv
	$(BIN)/python -m localcloud serve

## make bench: the product against the bare-SDK floor (bench/results.json), then the emulator's own speed
bench: venv
	$(BIN)/python bench/product.py
	$(BIN)/python bench/mns_roundtrip.py

## make load: 4 keep-alive clients on the local webhook for 10 s; requests/s, p50/p99 latency, errors (must be 0)
load: venv
	$(BIN)/python bench/load_webhook.py

## make soak: the lifecycle chaos soak: 1,000 sends under DMS, MNS and Tablestore faults and crashes, then every invariant (SOAK_ARGS for flags)
soak: venv
	$(BIN)/python -m soak $(SOAK_ARGS)

## make build: the code packages FC runs, one per function, under build/ (dependencies vendored for Linux x86_64)
build: venv
	$(BIN)/python scripts/build.py

clean:
	rm -rf $(VENV) build .mypy_cache .ruff_cache .pytest_cache $(NODE_DIR)/node_modules

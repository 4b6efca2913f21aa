# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-slow bench lint install clean

# (Re)install when the requirements change; creating .venv/ only when it is missing.
$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

## Start Redis, the emulated access-service and the portal; Ctrl-C stops all three.
## The ports: `make run PORT=5001 ACCESS_SERVICE_PORT=9001 REDIS_PORT=6380` (defaults 5000, 9000, 6379).
run: $(STAMP)
	@$(PY) -m scripts.dev

## The whole suite: lint, unit, integration, end-to-end and browser tests.
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest

## Benchmarks (not part of `make test`); writes bench/out/results.md, or RESULTS=FILE.
bench: $(STAMP)
	$(PY) -m bench $(if $(RESULTS),--output $(RESULTS))

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache instance/ .run/

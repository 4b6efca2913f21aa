# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run emulator-down emulator-up test test-deploy test-slow bench docs lint typecheck install clean

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

## Take the emulated access-service of a running `make run` down, or bring it back, while Redis
## and the portal run on (give the ACCESS_SERVICE_PORT that `make run` got, if not 9000).
emulator-down emulator-up:
	@$(PY) -m scripts.dev_service $(if $(filter emulator-up,$@),start,stop) access-service $(or $(ACCESS_SERVICE_PORT),9000)

## The whole suite: lint, type check, the docs site's strict build (tests/unit/test_docs_site.py),
## unit, integration, end-to-end and browser tests.
test: lint typecheck
	$(PY) -m pytest

## The deployment for real (not part of `make test`; root, podman, runc, debootstrap): the image
## built, docker-compose.yml's `dev` profile up and used through nginx (docs/deploying.md).
test-deploy: $(STAMP)
	$(PY) -m pytest tests/deploy --durations=0

## The documentation site, built strictly (a warning, such as a broken link, fails it).
docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html
	@echo "The documentation site: file://$(CURDIR)/docs/_build/html/index.html"

## Benchmarks (not part of `make test`); writes bench/out/results.md, or RESULTS=FILE.
bench: $(STAMP)
	$(PY) -m bench $(if $(RESULTS),--output $(RESULTS))

## What `make test` checks before the tests: format, lint rules.
lint: $(STAMP)
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .

## mypy over app/, config/ and access_service/ (settings in pyproject.toml).
typecheck: $(STAMP)
	$(PY) -m mypy

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache instance/ .run/ docs/_build/

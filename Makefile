# make run   — set up .venv, migrate the database, load demo articles if empty, serve on :8000
#              with deploy/gunicorn.conf.py (gevent workers; PORT, WORKERS, … from the environment)
#              and `flask news deliver` (webhooks, WebSub pings) beside it
# make test  — set up .venv with test tools, run the whole suite
# make bench — the speed benchmark (bench/README.md); BENCH_ARGS=--quick for a short run
# make deploy-check — the production set (deploy/) on loopback ports, checked end to end
# make contract — Schemathesis against gunicorn: the OpenAPI document against the server
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
WORKERS ?= 4
BIN = $(VENV)/bin

.PHONY: run test lint bench deploy-check contract clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(BIN)/flask news migrate
	$(BIN)/flask news seed --if-empty
	$(BIN)/flask news deliver & trap 'kill $$! 2>/dev/null' EXIT; \
	PORT=$(PORT) WORKERS=$(WORKERS) $(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

test: $(VENV)/.dev
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(VENV)/.dev
	$(BIN)/ruff check api schemas tests bench migrations deploy wsgi.py
	$(BIN)/ruff format --check api schemas tests bench migrations deploy wsgi.py

bench: $(VENV)/.dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

deploy-check: $(VENV)/.runtime
	command -v nginx >/dev/null || (apt-get update -qq && apt-get install -y -qq nginx)
	$(BIN)/python -m deploy.check

contract: $(VENV)/.dev
	$(BIN)/python tests/contract/run.py $(CONTRACT_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis

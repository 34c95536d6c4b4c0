# CaseBridge — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
DEMO_PASSWORD ?= camau2026
HOST ?= 127.0.0.1
PORT ?= 5000

SECRET_KEY_FILE := instance/secret_key
PERSONAL_DATA_KEYS_FILE := instance/personal_data_keys

.PHONY: setup run test worker deps assets translations browser-deps services lint bench bench-deadlines clean

# Without SECRET_KEY in the environment (a local installation), setup makes the random key the app
# then reads from instance/secret_key; production sets SECRET_KEY, the same on every process.
ifeq ($(SECRET_KEY),)
LOCAL_SECRET_KEY := $(SECRET_KEY_FILE)
endif
# Likewise the Fernet key that encrypts reporters' names, phones and e-mails (PERSONAL_DATA_KEYS).
ifeq ($(PERSONAL_DATA_KEYS),)
LOCAL_PERSONAL_DATA_KEYS := $(PERSONAL_DATA_KEYS_FILE)
endif

## setup: virtualenv, dependencies, front-end assets, translations, database migrations
setup: $(VENV)/.installed assets translations $(LOCAL_SECRET_KEY) $(LOCAL_PERSONAL_DATA_KEYS)
	@mkdir -p instance
	$(FLASK) db upgrade

## instance/secret_key: this installation's random SECRET_KEY, made once and kept (mode 600)
$(SECRET_KEY_FILE):
	@mkdir -p $(@D)
	@umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_hex(32))" > $@.tmp && mv $@.tmp $@
	@echo "created $@: this installation's random SECRET_KEY"

## instance/personal_data_keys: this installation's random Fernet key for reporters' personal data,
## made once and kept (mode 600); losing it loses every reporter's name, phone and e-mail
$(PERSONAL_DATA_KEYS_FILE):
	@mkdir -p $(@D)
	@umask 077 && $(PYTHON) -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())" > $@.tmp && mv $@.tmp $@
	@echo "created $@: this installation's random PERSONAL_DATA_KEYS"

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $@

## assets: front-end packages from npm, served by the app itself (no CDN)
assets: caseapp/static/vendor/.installed

caseapp/static/vendor/.installed: caseapp/assets/package.json caseapp/assets/package-lock.json caseapp/assets/copy_assets.py
	npm ci --prefix caseapp/assets --no-audit --no-fund --loglevel=error
	$(PY) caseapp/assets/copy_assets.py
	touch $@

## translations: compile the Vietnamese/English message catalogues
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d caseapp/translations -f >/dev/null

## run: set up, load the demo province, serve on http://$(HOST):$(PORT) (SQLite, in-process timers)
run: setup
	$(FLASK) seed-demo --password $(DEMO_PASSWORD)
	@echo ""
	@echo "CaseBridge on http://$(HOST):$(PORT)  (demo password for every login: $(DEMO_PASSWORD))"
	$(FLASK) serve --host $(HOST) --port $(PORT)

## worker: an RQ worker with the scheduler: deadlines, sweeps, notifications (needs REDIS_URL)
worker: setup
	$(PY) -m timers.worker

## browser-deps: Debian's Chromium for the Playwright tests (Playwright's own download cannot work here)
browser-deps:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## test: set up and run the whole suite (SQLite and PostgreSQL; Redis; browser)
test: setup browser-deps
	$(PY) -m pytest -c tests/pytest.ini $(PYTEST_ARGS)

## bench: the benchmarks (they print figures; never timed tests)
bench: setup
	$(PY) bench/lifecycle.py

## bench-deadlines: 10,000 simultaneous deadlines, 1 then 2 RQ workers (needs PostgreSQL and Redis on 127.0.0.1;
## recreates the bench_deadlines database and flushes Redis database 13). DEADLINES=1000 for a quick run.
DEADLINES ?= 10000
bench-deadlines: setup
	$(PY) bench/deadlines.py $(DEADLINES)

clean:
	rm -rf $(VENV) caseapp/assets/node_modules caseapp/static/vendor instance .pytest_cache

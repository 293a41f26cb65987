# HallOps. Two commands set up a fresh machine: `make run` and `make test`.
# Without DATABASE_URL both use an embedded PostgreSQL under var/; without
# CELERY_BROKER_URL tasks run in-process.

PYTHON_BIN ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000


.PHONY: run test install lint check migrate seed worker beat db-stop messages vendor browser bench clean

$(PY):
	$(PYTHON_BIN) -m venv $(VENV)

# Bytecode is compiled at install: every process (xdist workers, roster-solver children) then starts
# without re-parsing the packages (PYTHONDONTWRITEBYTECODE is set on some machines).
$(STAMP): requirements.lock | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check "uv>=0.5"
	$(VENV)/bin/uv pip install --quiet --compile-bytecode -p $(PY) -r requirements.lock
	@test -f .env || printf '# Development checkout only (git-ignored); production sets real environment variables.\nDJANGO_DEBUG=1\n' > .env
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the Playwright browser tests (never a browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || scripts/install-chromium

migrate: install
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput

run: install migrate
	DJANGO_DEBUG=1 $(PY) manage.py seed_demo --scale small --seed 1 --if-empty
	DJANGO_DEBUG=1 $(PY) manage.py demo_logins --base-url http://$(HOST):$(PORT)
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

SCALE ?= small
SEED ?= 1
seed: install migrate
	DJANGO_DEBUG=1 $(PY) manage.py seed_demo --scale $(SCALE) --seed $(SEED)
	DJANGO_DEBUG=1 $(PY) manage.py demo_logins --seed $(SEED)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: install
	DJANGO_SETTINGS_MODULE=hallops.settings_test $(PY) manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=hallops.settings_test $(PY) manage.py makemigrations --check --dry-run

test: install browser lint check
	$(PY) -m pytest -n 2 --dist loadgroup --max-worker-restart=0 $(PYTEST_ARGS)

worker: install
	$(VENV)/bin/celery -A hallops worker --loglevel INFO --concurrency 2

beat: install
	$(VENV)/bin/celery -A hallops beat --loglevel INFO

bench: install
	$(PY) -m bench

# The project catalogue (locale/) covers templates/, halls and staffing; later apps keep their own
# in <app>/locale/. Fill in the new msgstr values, then run this again to compile.
APP_CATALOGUES := $(wildcard assessment complaints training)
messages: install
	DJANGO_DEBUG=1 $(PY) manage.py makemessages -l zh_Hans --ignore ".venv/*" --ignore "var/*" --ignore "static/vendor/*" --ignore "node_modules/*" --ignore "tests/*" --ignore "bench/*" $(foreach a,$(APP_CATALOGUES),--ignore "$(a)/*")
	for app in $(APP_CATALOGUES); do (cd $$app && mkdir -p locale && DJANGO_DEBUG=1 ../$(PY) ../manage.py makemessages -l zh_Hans); done
	DJANGO_DEBUG=1 $(PY) manage.py compilemessages -l zh_Hans --ignore ".venv/*" --ignore "var/*"

# Re-copy the pinned front-end assets from npm into static/vendor/ (committed; CI needs no npm).
vendor:
	scripts/vendor-assets

db-stop:
	@$(PY) -c "from pathlib import Path; from hallops.embedded_postgres import stop_embedded_server as stop; print('stopped' if stop(Path('var/pgdata').resolve()) else 'not running')"

clean:
	rm -rf $(VENV) var/staticfiles

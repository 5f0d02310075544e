# Two commands do all the set-up: `make demo` and `make test`. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export PORT

.PHONY: demo test install install-dev lint check messages demo-users clean lock prod-smoke bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Stamps: reinstall only when the pinned requirements change.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

## make demo: install, migrate, load the demo data, serve on http://127.0.0.1:$(PORT)/ with the scheduler.
demo: install
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py serve_demo --port $(PORT)

demo-users: install
	$(BIN)/python manage.py demo_users

## make test: install and run the whole suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set).
test: install-dev
	@$(BIN)/python -c "import os; db=os.environ.get('DATABASE_URL',''); print('make test: database =', 'PostgreSQL' if db.startswith(('postgres','pgsql')) else 'SQLite (set DATABASE_URL for PostgreSQL)', '| redis =', os.environ.get('REDIS_URL') or 'none (in-memory layers)')"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make prod-smoke: the production configuration, run for real on this machine's PostgreSQL and Redis.
prod-smoke: install
	scripts/prod_smoke.sh

## make bench: national dataset + measurements (quick, 5-7 min); BENCH_SCALE=full make bench for
## ~480,000 work items (~15 min). Needs PostgreSQL and Redis; see bench/README.md.
BENCH_SCALE ?= quick
bench: install
	$(BIN)/python -m bench.run --$(BENCH_SCALE)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: install-dev
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

messages: install-dev
	$(BIN)/python manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=staticfiles
	$(BIN)/python manage.py compilemessages -l en --ignore=.venv

lock:
	$(BIN)/pip install -q -r requirements.in && $(BIN)/pip freeze > requirements.txt

clean:
	rm -rf $(VENV) staticfiles var db.sqlite3

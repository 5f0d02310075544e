# Two commands do all the set-up: `make demo` and `make test`. See README.md.
# Python 3.12 or 3.13: scripts/find_python.sh picks one (PYTHON=/path/to/python3.12 to choose).
PYTHON ?=
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export PORT

.PHONY: demo test install install-dev lint check messages demo-users clean lock prod-smoke bench FORCE

# The venv, made with the interpreter scripts/find_python.sh finds. It is made again when it is
# missing, broken or was made with a Python older than 3.12 (an existing checkout's 3.11 .venv).
# pyvenv.cfg is written once per venv: the requirement stamps below are redone after a new one.
ifneq ($(shell $(BIN)/python -c 'import sys; print(sys.version_info >= (3, 12))' 2>/dev/null),True)
$(VENV)/pyvenv.cfg: FORCE
endif
$(VENV)/pyvenv.cfg:
	@py=$$(PYTHON='$(PYTHON)' sh scripts/find_python.sh) || exit 1; \
	if [ -e $(VENV) ]; then echo "$(VENV): missing, broken or older than Python 3.12 ($$($(BIN)/python -V 2>&1 | head -n 1)): making it again"; fi; \
	rm -rf $(VENV); \
	echo "$(VENV): $$("$$py" -V) ($$py)"; \
	"$$py" -m venv $(VENV) || { \
	  rm -rf $(VENV); \
	  v=$$("$$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	  echo "$$py -m venv failed: Debian and Ubuntu ship venv separately; install it (sudo apt install python3-venv, or python$$v-venv) and run make again" >&2; \
	  exit 1; }
	$(BIN)/python -m pip install -q --upgrade pip

FORCE:

# Stamps: reinstall only when the pinned requirements change (or the venv is new).
# Both files are locked with hashes (make lock): pip refuses anything that does not match.
$(VENV)/.runtime: requirements.txt $(VENV)/pyvenv.cfg
	$(BIN)/pip install -q --require-hashes -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install -q --require-hashes -r requirements-dev.txt
	touch $@

# axe-core (tests/browser/test_axe.py injects it into the pages) from the npm registry, exactly as
# package-lock.json pins it; redone only when the lock changes. Without npm the accessibility tests
# skip (and fail in CI, as a missing Chromium does): install Node.js 20 with npm.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
	  echo "npm not found: the accessibility tests (axe-core) will skip; install Node.js 20 and npm (sudo apt install nodejs npm)" >&2; \
	fi

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev node_modules/.package-lock.json

## make demo: install, migrate, load the demo data, serve on http://127.0.0.1:$(PORT)/ with the scheduler.
demo: install
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py serve_demo --port $(PORT)

demo-users: install
	$(BIN)/python manage.py demo_users

## make test: install and run the whole suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set).
test: install-dev
	@$(BIN)/python -c "import os, platform; db=os.environ.get('DATABASE_URL',''); print('make test: python', platform.python_version(), '| database =', 'PostgreSQL' if db.startswith(('postgres','pgsql')) else 'SQLite (set DATABASE_URL for PostgreSQL)', '| redis =', os.environ.get('REDIS_URL') or 'none (in-memory layers)')"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make prod-smoke: the production configuration, run for real on this machine's PostgreSQL and Redis.
prod-smoke: install
	PYTHON=$(CURDIR)/$(BIN)/python scripts/prod_smoke.sh

## make bench: national dataset + measurements (quick, 5-7 min); BENCH_SCALE=full make bench for
## ~480,000 work items (~15 min). Needs PostgreSQL and Redis; see bench/README.md.
BENCH_SCALE ?= quick
bench: install
	$(BIN)/python -m bench.run --$(BENCH_SCALE)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

check: install-dev
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

messages: install-dev
	$(BIN)/python manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=staticfiles
	$(BIN)/python manage.py compilemessages -l en --ignore=.venv

## make lock: pin requirements.in and requirements-dev.in with hashes (uv; keeps the current pins
## where the ranges allow, `make lock UPGRADE=1` takes the newest). One command refreshes both.
LOCK := $(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version 3.12 $(if $(UPGRADE),--upgrade)
lock: install-dev
	$(LOCK) requirements.in -o requirements.txt
	$(LOCK) requirements-dev.in -o requirements-dev.txt

clean:
	rm -rf $(VENV) node_modules staticfiles var db.sqlite3

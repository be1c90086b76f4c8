# Everything starts from a fresh machine with Python 3.11: `make run` or `make test` create .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install lock run test test-fast lint format worker beat bench bench-e2e migrate superuser clean serve ops-proof load screenshots schemathesis messages i18n-check multihost

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# requirements/*.txt are hash-locked (make lock): pip installs exactly those files, checked against their hashes.
$(VENV)/.installed: requirements/base.txt requirements/training.txt requirements/dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	touch $@

install: $(VENV)/.installed

# Resolve requirements/*.in (the packages we choose, pinned) into requirements/*.txt (every package, pinned, with
# hashes), for Python 3.11 on Linux, where the site runs. Versions already in a .txt are kept; LOCK_ARGS=--upgrade
# moves everything to the newest that the .in files allow. Each set is constrained by the one below it, so the
# runtime packages have the same versions in base, prod, training and dev.
LOCK := $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu $(LOCK_ARGS) \
	--custom-compile-command "make lock  \# for Python 3.11 on Linux (xgboost-cpu is a Linux build)"
lock: install
	$(LOCK) requirements/base.in -o requirements/base.txt
	$(LOCK) requirements/prod.in -o requirements/prod.txt
	$(LOCK) requirements/training.in -o requirements/training.txt
	$(LOCK) requirements/dev.in -o requirements/dev.txt

migrate: install
	$(BIN)/python manage.py migrate --noinput

run: migrate
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The inner loop: no browser, no servers started in processes of their own, no model fitting (tests marked slow).
# It runs on production's path when this machine has it: PostgreSQL on 127.0.0.1:5432 (a database of its own,
# created when missing) and Redis on 127.0.0.1:6379, so the ledger, idempotency, claim, lease and settle-race tests
# and the real-worker test run too; without them it runs on SQLite and says what that skips. DATABASE_URL and
# REDIS_URL, when set, are used as they are.
TEST_FAST_DATABASE ?= mhc_test_fast
TEST_FAST_REDIS_URL ?= redis://127.0.0.1:6379/15
TEST_FAST_MARKS = not browser and not slow and not subprocess and not nhanes

test-fast: install
	@database_url="$$DATABASE_URL"; redis_url="$$REDIS_URL"; \
	if [ -z "$$database_url" ] && pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		psql -h 127.0.0.1 -U postgres -d postgres -tAc \
			"SELECT 1 FROM pg_database WHERE datname = '$(TEST_FAST_DATABASE)'" | grep -q 1 \
		|| psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE "$(TEST_FAST_DATABASE)"'; \
		database_url="postgres://postgres@127.0.0.1:5432/$(TEST_FAST_DATABASE)"; fi; \
	if [ -z "$$redis_url" ] && redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then \
		redis_url="$(TEST_FAST_REDIS_URL)"; fi; \
	case "$$database_url" in postgres*) ;; *) echo "test-fast: no PostgreSQL at 127.0.0.1:5432, so SQLite:" \
		"the tests marked postgres (row locks: concurrency, leases, settle races, the real worker) are skipped";; esac; \
	[ -n "$$redis_url" ] || echo "test-fast: no Redis at 127.0.0.1:6379: the tests marked redis and celery_worker are skipped"; \
	env $${database_url:+DATABASE_URL="$$database_url"} $${redis_url:+REDIS_URL="$$redis_url"} \
		$(BIN)/python -m pytest -m "$(TEST_FAST_MARKS)" $(PYTEST_ARGS)

# Rewrite docs/screenshots/*.png from the browser test (make test leaves them alone).
screenshots: install
	SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/hadolint docker/Dockerfile
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run --verbosity 1
	$(MAKE) --no-print-directory i18n-check

# Translations (README "Languages"): every catalogue complete, compiled, and current with the sources.
i18n-check: install
	$(BIN)/python manage.py i18n_check

# After adding or changing a text: new msgids into locale/*/django.po, then compiled .mo (needs GNU gettext).
messages: install
	$(BIN)/python manage.py i18n_update

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: install
	$(BIN)/celery -A config worker --loglevel=INFO --concurrency=2

beat: install
	$(BIN)/celery -A config beat --loglevel=INFO

# gunicorn as in production (config/gunicorn.py), metrics merged across its processes.
serve: migrate
	PROMETHEUS_MULTIPROC_DIR=/tmp/mhc-prometheus-web GUNICORN_BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c config/gunicorn.py config.wsgi

# The operations proof of .ci/run: compose and Prometheus configs, then the loopback stack with real Prometheus.
ops-proof: install
	.ci/ops-proof

# Several hosts in network namespaces (root, iproute2, haproxy, PostgreSQL and redis-server needed), 1,000 screenings
# through a load balancer while a worker host, Redis, PostgreSQL and a web host fail in turn (docs/operations.md).
multihost: install
	$(BIN)/python -m tests.ops.multihost $(MULTIHOST_ARGS)

# The API against its OpenAPI schema: schemathesis (schemathesis.toml) on its own production-settings stack with a
# registered person's JWT, 25 examples per operation (PostgreSQL and redis-server needed; about a minute or two).
schemathesis: install
	$(BIN)/python -m tests.ops.contract $(SCHEMATHESIS_ARGS)

# Mixed API load against its own loopback stack (PostgreSQL and redis-server needed): make load LOAD_ARGS="--users 8"
load: install
	$(BIN)/python benchmarks/load.py $(LOAD_ARGS)

superuser: migrate
	$(BIN)/python manage.py createsuperuser

# request_cpu.py measures one process against a PostgreSQL and a Redis it is given: the local ones unless
# DATABASE_URL and REDIS_URL say otherwise (the database is created when missing). The other scripts start their own.
BENCH_DATABASE ?= mhc_bench
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/$(BENCH_DATABASE)
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/9
BENCH_PSQL = psql -h 127.0.0.1 -U postgres -d postgres

bench: install
	@if [ -z "$$DATABASE_URL" ] && ! $(BENCH_PSQL) -tAc \
		"SELECT 1 FROM pg_database WHERE datname = '$(BENCH_DATABASE)'" | grep -q 1; then \
		$(BENCH_PSQL) -qc 'CREATE DATABASE "$(BENCH_DATABASE)"'; fi
	@for script in benchmarks/*.py; do echo "== $$script"; \
		DATABASE_URL="$${DATABASE_URL:-$(BENCH_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(BENCH_REDIS_URL)}" \
		$(BIN)/python $$script || exit 1; done

# Submit-to-result on a production stack of its own (PostgreSQL, Redis, gunicorn, Celery prefork x2): logistic and
# ensemble at 1 and 20 clients, 3 runs each, then their medians. make bench-e2e BENCH_ARGS="--runs 5 --seconds 30"
bench-e2e: install
	$(BIN)/python benchmarks/e2e.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache .ruff_cache staticfiles

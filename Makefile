# Two commands on a fresh machine with Python 3.11 and make:
#   make run    web (gunicorn) + worker on SQLite and an embedded Redis, with demo data
#   make test   the whole test suite (SQLite + embedded Redis unless TEST_* URLs are set)
# and the production stack on this machine, against DATABASE_URL / REDIS_URL:
#   make serve  migrate, then gunicorn + RQ_WORKERS worker.py processes + the cron scheduler

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app dispatch
# pytest-xdist workers for `make test`: two per CPU, because about half the suite's time is
# spent waiting (on browsers, servers, workers and restarts), not computing; 0: no parallelism
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) * 2 )))
# RQ worker processes for `make serve` (bench/README.md "Workers" says why two)
RQ_WORKERS ?= 2

.PHONY: run serve test lint translations screenshots messages clean bench load

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d dispatch/translations >/dev/null

run: $(VENV)/.installed translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(BIN)/python -m dispatch.dev.devstack --demo

serve: $(VENV)/.installed translations
	$(FLASK) db upgrade
	$(BIN)/python -m dispatch.dev.devstack --workers $(RQ_WORKERS)

test: $(VENV)/.installed-dev translations
	@if [ -x /usr/bin/chromium ]; then \
		echo "Browser tests: using /usr/bin/chromium."; \
	else \
		echo "*** Browser tests will NOT run: /usr/bin/chromium is missing."; \
		echo "*** Install it with: sudo apt-get install -y chromium fonts-wqy-microhei"; \
	fi
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

# Every benchmark in bench/, briefly; one table of ratios into bench/README.md.
# PostgreSQL runs use 127.0.0.1:5432 (own schema or database per script, dropped after).
bench: $(VENV)/.installed-dev translations
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Refresh docs/screenshots/ from the browser walkthrough (needs /usr/bin/chromium).
screenshots: $(VENV)/.installed-dev translations
	SCREENSHOT_DIR=docs/screenshots $(BIN)/pytest -q tests/browser

# After changing user-facing strings: extract them and merge into the Chinese catalogue.
messages: $(VENV)/.installed-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--omit-header -o /tmp/dispatch-messages.pot .
	$(BIN)/pybabel update -i /tmp/dispatch-messages.pot -d dispatch/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Headline commands: `make run` (dashboard on the demo) and `make test` (the whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# Loopback only unless the operator chooses otherwise (ADDRESS=0.0.0.0 make run): there is no sign-in yet.
ADDRESS ?= 127.0.0.1
PYTEST_ARGS ?=
RUN_ARGS ?=

.PHONY: run test test-fast lint lock system-deps bench clean

# Every dependency at the version and hash in requirements.lock (`make lock` after editing requirements*.txt).
$(VENV)/.installed: requirements.lock pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

run: $(VENV)/.installed
	$(PY) -m components.server --server.address $(ADDRESS) --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false $(RUN_ARGS)

system-deps:
	scripts/install-system-deps.sh

# Everything: unit, AppTest, real Prometheus/Alertmanager, real Chromium; on both cores.
test: $(VENV)/.installed system-deps
	$(PY) -m pytest -n 2 --durations=15 $(PYTEST_ARGS)

# The quick loop: unit and AppTest only (no servers, no browser, no CLI round trips).
test-fast: $(VENV)/.installed
	$(PY) -m pytest -n 2 -m "not integration and not browser and not slow" --durations=10 $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

lock:
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
		--no-emit-find-links -o requirements.lock requirements.txt requirements-dev.txt

bench: $(VENV)/.installed system-deps
	$(PY) benchmarks/page_data.py

clean:
	rm -rf $(VENV) .pytest_cache

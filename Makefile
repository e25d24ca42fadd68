# The two commands a new user needs: `make serve` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test index lint unit eval eval-archive bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first and pinned: it is the local CPU wheel; anything unpinned pulls CUDA builds.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	touch $@

# The ray extra too, so CI runs the two-node Ray tests (tests/engines, marked `ray`).
$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,ray]'
	touch $@

# Incremental: an up-to-date index is detected and nothing is re-encoded. An index that
# `polysearch sync` keeps (it holds index/sync-state.sqlite) is served as it is, not rebuilt from seeds/.
index: $(VENV)/.installed
	@if [ -f index/sync-state.sqlite ]; then \
		echo "index/ is kept by polysearch sync; not rebuilding it from seeds/"; \
	else \
		$(BIN)/polysearch index --seeds seeds --out index; \
	fi

serve: index
	$(BIN)/polysearch serve --index index --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check indexer service eval tests
	$(BIN)/mypy indexer service eval

unit: $(VENV)/.installed-test
	$(BIN)/python -m pytest

test: lint unit

eval: index
	$(BIN)/polysearch eval --index index --compare

# Seeds-only and archive-scale tables (seeds + 450 distractors from gensim's test data), cached in eval-work/.
$(VENV)/.installed-eval: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[eval]'
	touch $@

eval-archive: $(VENV)/.installed-eval
	$(BIN)/python -m eval.archive.distractors eval-work/distractors
	$(BIN)/polysearch eval --compare --distractors eval-work/distractors

bench: index
	$(BIN)/polysearch bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# mlhad: `make demo` and `make test` set up .venv on first use, then run.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.mlhad-installed
PYTEST_ARGS ?=

.PHONY: install demo test test-slow bench clean-venv

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first: the CPU build pinned here; an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	# the compiled fragmentation-history recorder (Pythia plugin), built against this pythia8mc
	$(BIN)/python -m mlhad.native.build
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/mlhad demo

test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m "slow" $(PYTEST_ARGS)

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean-venv:
	rm -rf $(VENV)

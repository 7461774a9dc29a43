# Quick start: `make book` builds the book, `make test` runs every test. Both set everything up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: setup book test check lint clean-book

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[book,test]'
	$(PY) -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

setup: $(STAMP)

book: setup
	$(PY) -m policylib.book --jobs $(JOBS)

# The check of the real tree runs as tests/test_check.py::test_real_tree_passes; see tests/conftest.py for
# how the tests are shared out between the workers.
test: setup
	$(PY) -m ruff check policylib tests benchmarks
	$(PY) -m pytest -n $(JOBS) --dist loadfile --no-loadscope-reorder tests book/profiles book/chapters \
		--nbval --nbval-current-env --nbval-sanitize-with=tests/nbval_sanitize.cfg $(PYTEST_ARGS)

check: setup
	$(VENV)/bin/policylib check

lint: setup
	$(PY) -m ruff check policylib tests benchmarks

clean-book:
	rm -rf book/_build

# dmlvae: `make book` builds the book, `make test` runs the tests. Both create .venv when it is missing
# or older than the dependency lists, and skip that work when it is current.
SHELL := bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PIP    := $(PY) -m pip install -q --disable-pip-version-check
# this machine's pip config lists local index folders that do not exist; hide those warnings only
QUIET  := 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }

# papermill parameters for the book's notebooks (any page parameter: make book PARAMS="-p seed 1")
PROFILE ?= quick
PARAMS  ?=

.PHONY: venv test book book-html clean-book clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt constraints.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -c constraints.txt -r requirements.txt $(QUIET)
	$(PIP) --no-deps -r requirements-nodeps.txt $(QUIET)
	$(PIP) --no-deps --no-build-isolation -e . $(QUIET)
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q tests

# jupytext -> papermill (executed copy in book/generated) -> jupyter-book, warnings as errors.
book: $(STAMP)
	$(PY) tools/execute_notebooks.py --profile $(PROFILE) $(PARAMS)
	$(MAKE) book-html

book-html: $(STAMP)
	$(VENV)/bin/jupyter-book build book --config _config.yml --path-output . -W --keep-going

clean-book:
	rm -rf _build book/generated

clean: clean-book
	rm -rf $(VENV)

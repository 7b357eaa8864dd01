# The two commands of the README:
#   make book   build the whole book into _build/html (venv, packages, data, every chapter executed)
#   make test   run all tests: unit tests and the execution of every chapter
# The others: CONTRIBUTING.md (authors) and book/instructors.md (make student).
PYTHON ?= python3
BIN := .venv/bin
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYODIDE_RUNTIME = $(abspath $(or $(PYODIDE_DIR),_build/lite-runtime/pyodide))

.PHONY: book test quick unit-tests lint mutation data venv system-packages browser-deps \
	student lite lite-runtime preview bench clean

# Every chapter executed afresh, one kernel per core, then a fresh html folder (publish/book.py)
book: data
	$(BIN)/python -m publish.book
	$(MAKE) --no-print-directory lite
	@echo "The book is at _build/html/index.html"

# Tests read this run's book (JupyterLite on the self-hosted Pyodide); a file per core
test: export PYODIDE_DIR := $(PYODIDE_RUNTIME)
test: lint lite-runtime book browser-deps
	FASHIONLIB_BUILT_BOOK=_build $(BIN)/python -m pytest -n auto --dist loadfile

quick: lint  # the library tests alone, in seconds, on every core
	$(BIN)/python -m pytest -n auto -m "not slow and not book"

unit-tests: lint
	$(BIN)/python -m pytest -n auto --dist loadfile -m "not book"

lint: venv  # ruff: the rules and the 79-column limit of pyproject.toml
	$(BIN)/ruff check fashionlib tests bench book/_ext publish

# mutmut 3 (setup.cfg) over the core modules with the fast tests, then the score
# (tests/mutation_score.py). One module: make mutation MUTANTS='fashionlib.batch*'
mutation: venv
	$(BIN)/python -m pip install --quiet "mutmut>=3,<4"
	FASHIONLIB_DATA=$$(mktemp -d) $(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/python tests/mutation_score.py

venv: .venv/.installed
.venv/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv .venv
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[book,test]"
	touch $@

# apt-get install (sudo unless root), after apt-get update if the first try fails
define apt
{ command -v apt-get >/dev/null || { echo "missing: $(1) (Debian names); install them"; exit 1; }; \
  echo "Installing the Debian packages $(1)"; \
  $(SUDO) apt-get install -y --no-install-recommends $(1) || \
  { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends $(1); }; }
endef

# data/, /usr/share/datasets/fashion-mnist, the official mirror, else the Debian package
data: venv
	@$(BIN)/python -m fashionlib data || { $(call apt,dataset-fashion-mnist) && $(BIN)/python -m fashionlib data; }

# What the tests need: Chromium, Node.js, npm (browser test), bubblewrap (grader's sandbox)
system-packages:
	@test -x "$(CHROMIUM)" || $(call apt,chromium fonts-dejavu-core)
	@command -v node >/dev/null || $(call apt,nodejs)
	@command -v npm >/dev/null || $(call apt,npm)
	@command -v bwrap >/dev/null || $(call apt,bubblewrap)

# playwright-core and axe-core, pinned in tests/browser/package-lock.json; no browser download
browser-deps: tests/browser/node_modules/.package-lock.json

tests/browser/node_modules/.package-lock.json: tests/browser/package*.json | system-packages
	cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $@

# The student edition (book/instructors.md): _build/student/{html,notebooks}, its lite site
# serving the student build of fashionlib (or STUDENT_WHEEL).
student: data
	$(BIN)/python -m fashionlib student
	$(BIN)/python -m publish.lite _build/student/html/_lite --edition student \
		$(if $(STUDENT_WHEEL),--wheel $(STUDENT_WHEEL))

# JupyterLite in _build/html/_lite; Pyodide from its CDN unless PYODIDE_DIR (lite-runtime)
lite: venv
	$(BIN)/python -m publish.lite _build/html/_lite

lite-runtime: venv
	$(BIN)/python -m publish.lite_runtime $(PYODIDE_RUNTIME)

# A fast rebuild for authors (CONTRIBUTING.md): only the chapters whose code changed.
preview: venv
	@$(BIN)/python -c "from fashionlib import data; raise SystemExit(not all(data.npz_path(s).is_file() for s in data.SPLITS))" || $(MAKE) --no-print-directory data
	$(BIN)/python -m publish.preview

# The mini-batch engine (MLP and CNN) against PyTorch (CPU), the MLP against scikit-learn
bench: data
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/bench.py $(BENCH_ARGS)
	$(BIN)/python bench/cnn.py

clean:
	rm -rf _build

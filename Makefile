# The two commands of the README:
#   make book   build the whole book into _build/html (venv, packages, data, every chapter executed)
#   make test   run all tests: unit tests and the execution of every chapter
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
JB_FLAGS := -W -n --keep-going

.PHONY: book test quick lint mutation unit-tests data debian-data venv clean browser-deps student bench

# --all and a fresh html folder: Sphinx would otherwise skip (not re-execute) chapters whose
# source did not change, even when fashionlib did, and keep stale images.
book: data
	rm -rf _build/html
	$(BIN)/jupyter-book build . --all $(JB_FLAGS)
	@echo "The book is at _build/html/index.html"

# The student edition (README, "For instructors"): _build/student/html and _build/student/notebooks
student: data
	$(BIN)/python -m fashionlib student

test: lint data browser-deps
	$(BIN)/python -m pytest

# The library tests alone, in seconds: no book build, browser, student edition or grading.
quick: lint
	$(BIN)/python -m pytest -m "not slow and not book"

unit-tests: lint
	$(BIN)/python -m pytest -m "not book"

# ruff with the rules and the 79-column limit of pyproject.toml
lint: venv
	$(BIN)/ruff check fashionlib tests bench book/_ext

# Mutation testing (mutmut 3, configured in setup.cfg): mutates the core modules and runs
# the fast tests against each mutant; not part of `make test` (minutes on 2 cores).
# A mutant may write wherever it likes: the data cache it sees is a fresh temporary folder.
# One module: make mutation MUTANTS='fashionlib.batch*'
mutation: venv
	$(BIN)/python -m pip install --quiet "mutmut>=3,<4"
	FASHIONLIB_DATA=$$(mktemp -d) $(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/mutmut results

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
	@test -x "$${CHROMIUM:-/usr/bin/chromium}" || { echo "Chromium is missing: apt-get install chromium (Debian's package; the tests never download a browser)"; exit 1; }

$(BROWSER_DEPS): tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: apt-get install nodejs npm"; exit 1; }
	cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $@

# Benchmark of the mini-batch engine against PyTorch (CPU wheel) and scikit-learn (README "Benchmark");
# installs bench/requirements.txt into the venv; never needed by the book or the tests.
bench: data
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

clean:
	rm -rf _build

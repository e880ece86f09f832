# threatbrief — `make` installs into .venv and builds every briefing; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: all build html pdf check serve test test-browser clean distclean rules

all: build

# An editable install writes no .pyc files (a wheel install does): the package is compiled once
# here, or every run would compile what it imports (README, "Speed").
$(STAMP): pyproject.toml
	@$(PYTHON) -m threatbrief.system_deps
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "error: could not create $(VENV); on Debian/Ubuntu: sudo apt-get install python3-venv" >&2; exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(PY) -m compileall -q threatbrief
	@$(PY) -c "import weasyprint" || { echo "error: WeasyPrint cannot load its system libraries (see README, 'System libraries')" >&2; exit 1; }
	@touch $(STAMP)

build: $(STAMP)
	$(PY) build.py build

html: $(STAMP)
	$(PY) build.py build html

pdf: $(STAMP)
	$(PY) build.py build pdf

check: $(STAMP)
	$(PY) build.py check

# Live preview on http://127.0.0.1:8000/: rebuilds on every save and reloads the page (Ctrl-C stops it).
serve: $(STAMP)
	$(PY) build.py serve

rules: $(STAMP)
	@$(PY) build.py rules

test: $(STAMP)
	$(PY) build.py check
	$(PY) -m pytest -q -n $(JOBS)

# axe-core (WCAG 2.1 A/AA, best practice) on every built HTML page, in Debian's headless Chromium.
test-browser: $(STAMP)
	@if ! command -v chromium >/dev/null || ! command -v npm >/dev/null; then \
	  echo "test-browser skipped: needs chromium and npm (Debian: sudo apt-get install chromium npm)"; exit 0; fi; \
	npm install --silent --no-audit --no-fund --prefix .browser-test axe-core@4 puppeteer-core@24 && \
	$(PY) -m pytest -q -m browser

clean:
	@if [ -x $(PY) ]; then $(PY) build.py clean; else echo "nothing to clean: no $(VENV), so no build has run"; fi

distclean: clean
	rm -rf $(VENV) *.egg-info .pytest_cache

# bedside: the two commands are `make run` and `make test`; both start with `make install`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test check services browser lint bench lock test-pythons

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

# Refresh the tested set after changing a range in pyproject.toml (then run `make test`).
lock:
	$(BIN)/pip install --quiet --upgrade -e ".[dev]"
	{ head -2 constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -v '^bedside'; } > constraints.new && mv constraints.new constraints.txt

run: install
	$(BIN)/bedside demo

# Services the tests talk to: PostgreSQL and Redis (already running on our machines; start if not).
services:
	@bash scripts/services.sh

# Debian's chromium for the Playwright browser tests (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: install services browser lint
	BEDSIDE_STRICT_SKIPS=1 $(BIN)/pytest

bench: install
	for b in bench/[!_]*.py; do $(BIN)/python $$b || exit 1; done

# The suite on every supported Python (3.11 is `make test`); each gets its own venv with the locked set.
PYTHONS ?= 3.12 3.13
test-pythons: services browser
	@for v in $(PYTHONS); do \
	  test -x .venv-$$v/bin/python || python$$v -m venv .venv-$$v || exit 1; \
	  .venv-$$v/bin/pip install --quiet -c constraints.txt -e ".[dev]" || exit 1; \
	  echo "== Python $$v"; BEDSIDE_STRICT_SKIPS=1 .venv-$$v/bin/pytest -q -p no:cacheprovider || exit 1; \
	done

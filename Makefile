# The e-commerce analytics warehouse book.
#   make book      set up, generate and load the warehouse, run the chapters,
#                  build the site into _build/html
#   make test      run the whole test suite (starts its own PostgreSQL)
#   make check     the fast tier: all but the book builds, the browser and
#                  the tests that start a process (under 2 minutes)
#   make lint      Python (ruff) and SQL (sqlfluff) style
#   make serve     serve _build/html on http://localhost:$(PORT)
#   make bench     performance figures (see README)
#   make clean     remove _build (the warehouse database is kept)
#   make cluster   a Citus coordinator and two workers on this machine
#                  (builds Citus once; prints the coordinator's URL)
#   make import SOURCE=FILE MAPPING=online-retail
#                  a warehouse from a shop's own order lines (README)
#   make refresh TO=DATE
#                  bring the warehouse in SCHEMA forward to DATE (equal to a
#                  full build as of DATE); then make book END_DATE=DATE
#                  keeps it and re-runs the chapters
# Parameters: SEED, SCALE, START_DATE, END_DATE, SCHEMA, MIN_PAIR_ORDERS;
# SOURCE and MAPPING import a shop's own orders instead (see README); TO is
# the date make refresh brings the warehouse to.

SEED ?= 42
SCALE ?= 1
START_DATE ?= 2023-01-01
END_DATE ?= 2025-12-31
SCHEMA ?= warehouse
MIN_PAIR_ORDERS ?= 5
SOURCE ?=
MAPPING ?=
TO ?=
PORT ?= 8000
PYTHON ?= python3

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)
PARAMS := --seed '$(SEED)' --scale '$(SCALE)' --start-date '$(START_DATE)' \
          --end-date '$(END_DATE)' --schema '$(SCHEMA)' \
          --min-pair-orders '$(MIN_PAIR_ORDERS)' \
          --source '$(SOURCE)' --mapping '$(MAPPING)'

.PHONY: book warehouse import refresh test check lint serve bench clean setup \
        cluster

setup: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@rm -f $(VENV)/.installed-* && touch $@

warehouse: $(STAMP)
	$(PY) -m datagen build $(PARAMS)

import: $(STAMP)
	$(PY) -m datagen import '$(SOURCE)' --mapping '$(MAPPING)' \
	    --schema '$(SCHEMA)' --min-pair-orders '$(MIN_PAIR_ORDERS)'

refresh: $(STAMP)
	$(PY) -m datagen refresh --schema '$(SCHEMA)' --to '$(TO)'

book: $(STAMP)
	$(PY) -m datagen book $(PARAMS)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

check: $(STAMP)
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/sqlfluff lint sql/

serve:
	$(PYTHON) -m http.server $(PORT) --directory _build/html

cluster: $(STAMP)
	$(PY) -m datagen cluster start

bench: $(STAMP)
	$(PY) -m datagen bench

clean:
	rm -rf _build

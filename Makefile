# The e-commerce analytics warehouse book.
#   make book      set up, generate and load the warehouse, run the chapters,
#                  build the site into _build/html (one build at a time)
#   make test      run the whole test suite (starts its own PostgreSQL)
#   make check     the fast tier (under 2 minutes): the tests without a
#                  marker (book, browser, cluster, process, real_data); an
#                  unmarked test that takes more than a few seconds fails it
#   make lint      Python (ruff) and SQL (sqlfluff) style
#   make serve     serve _build/html on http://127.0.0.1:$(PORT) (HOST=
#                  another address to listen on; folders are not listed)
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
# Parameters: SEED, SCALE, START_DATE, END_DATE, SCHEMA, MIN_PAIR_ORDERS,
# CLV_HOLDOUT_WEEKS, CLV_HORIZON_DAYS;
# SOURCE and MAPPING import a shop's own orders instead (see README); TO is
# the date make refresh brings the warehouse to; PORT and HOST for make
# serve; PYTEST_ARGS for make test and make check.
#
# No variable is pasted into a shell command line: each reaches the program
# through the environment (DATAGEN_<NAME>, read by `python -m datagen
# --from-env`; PYTEST_ARGS as pytest's PYTEST_ADDOPTS), as written,
# whatever it holds (quotes, $, spaces, semicolons, a $(shell ...)):
# $(value ...) keeps a $ that make would expand.

SEED ?= 42
SCALE ?= 1
START_DATE ?= 2023-01-01
END_DATE ?= 2025-12-31
SCHEMA ?= warehouse
MIN_PAIR_ORDERS ?= 5
CLV_HOLDOUT_WEEKS ?= 52
CLV_HORIZON_DAYS ?= 90
SOURCE ?=
MAPPING ?=
TO ?=
PORT ?= 8000
HOST ?= 127.0.0.1
PYTHON ?= python3

override export DATAGEN_SEED := $(value SEED)
override export DATAGEN_SCALE := $(value SCALE)
override export DATAGEN_START_DATE := $(value START_DATE)
override export DATAGEN_END_DATE := $(value END_DATE)
override export DATAGEN_SCHEMA := $(value SCHEMA)
override export DATAGEN_MIN_PAIR_ORDERS := $(value MIN_PAIR_ORDERS)
override export DATAGEN_CLV_HOLDOUT_WEEKS := $(value CLV_HOLDOUT_WEEKS)
override export DATAGEN_CLV_HORIZON_DAYS := $(value CLV_HORIZON_DAYS)
override export DATAGEN_SOURCE := $(value SOURCE)
override export DATAGEN_MAPPING := $(value MAPPING)
override export DATAGEN_TO := $(value TO)
override export DATAGEN_PORT := $(value PORT)
override export DATAGEN_HOST := $(value HOST)
override export DATAGEN_PYTHON := $(value PYTHON)
# make exports a variable given on its command line or in the environment,
# expanding it first (a $(shell ...) in it would run): these are not
unexport SEED SCALE START_DATE END_DATE SCHEMA MIN_PAIR_ORDERS SOURCE \
         CLV_HOLDOUT_WEEKS CLV_HORIZON_DAYS \
         MAPPING TO PORT HOST PYTHON PYTEST_ARGS
# the server's URL, given here too (make book DATABASE_URL=...): as written
ifneq ($(origin DATABASE_URL),undefined)
override export DATABASE_URL := $(value DATABASE_URL)
endif

# the project's own paths: not parameters
override VENV := .venv
override PY := $(VENV)/bin/python
override STAMP := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)
override DATAGEN := $(PY) -m datagen --from-env

.PHONY: book warehouse import refresh test check lint serve bench clean setup \
        cluster

setup: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(PY) || "$$DATAGEN_PYTHON" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@rm -f $(VENV)/.installed-* && touch $@

warehouse: $(STAMP)
	$(DATAGEN) build

import: $(STAMP)
	$(DATAGEN) import

refresh: $(STAMP)
	$(DATAGEN) refresh

book: $(STAMP)
	$(DATAGEN) book

test check: override export PYTEST_ADDOPTS := $(value PYTEST_ADDOPTS) $(value PYTEST_ARGS)

test: $(STAMP)
	$(PY) -m pytest

check: $(STAMP)
	$(PY) -m pytest --fast-tier \
	    -m "not (book or browser or cluster or process or real_data)"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/sqlfluff lint sql/

# the standard library only: any python3 serves a built site
serve:
	"$$DATAGEN_PYTHON" -m datagen.publish.serve --from-env --directory _build/html

cluster: $(STAMP)
	$(PY) -m datagen cluster start

bench: $(STAMP)
	$(PY) -m datagen bench

clean:
	rm -rf _build

# Khmer career handouts: validate sources/*.yaml, publish output/pdf/*.pdf and output/docx/*.docx.
# `make` alone lists the targets. Every target sets up .venv by itself on first use.

.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

# --- settings (override on the command line: make pdf PAGE_SIZE=A5) -------------------------
PYTHON      ?= python3
VENV        ?= .venv
SOURCES_DIR ?= sources
OUTPUT_DIR  ?= output
PAGE_SIZE   ?= A4
PDF_VARIANT ?= pdf/ua-1
STRICT      ?=
BENCH_RUNS  ?= 3
BENCH_HANDOUTS ?= 100
HOST        ?= 127.0.0.1
PORT        ?= 8000
JOBS        ?=
# (The pipeline checks PAGE_SIZE and PDF_VARIANT: the page sizes are stated once, in
# templates/theme.yaml, and `python -m pipeline build --help` lists both.)

# --- what to build --------------------------------------------------------------------------
# Every goal that is not one of the commands below names an output format: one of the
# pipeline's writers (pipeline/writers/, a module each; `make help` lists them), so a new
# format needs no line here. The pipeline works out what is out of date (per handout and per
# format, from a manifest in output/.build/), renders only that in a pool of JOBS workers,
# and removes the outputs of a source that is gone; make only says which formats.
# `make pdf docx` and `make all` prepare each source once for both.
COMMANDS  := help setup new check fix import test test-tools lint schema reference-docx golden all \
             outputs bench \
             serve clean distclean
# Goals with a / or a . are files (make's own business), not formats.
FORMAT_GOALS := $(foreach goal,$(filter-out $(COMMANDS),$(MAKECMDGOALS)),\
                  $(if $(findstring /,$(goal))$(findstring .,$(goal)),,$(goal)))
ASKED     := $(FORMAT_GOALS) $(if $(filter all,$(MAKECMDGOALS)),pdf docx)
comma     := ,
empty     :=
space     := $(empty) $(empty)
FORMATS   := $(subst $(space),$(comma),$(or $(strip $(ASKED)),pdf))
SOURCES   := $(wildcard $(SOURCES_DIR)/*.yaml)

# A value as one word for the shell, whatever it holds (spaces, brackets, quotes, ';'): names
# and settings given on the command line reach the pipeline as data, never as shell syntax.
quote = '$(subst ','\'',$(1))'

VENV_STAMP := $(VENV)/.installed
# pip's output is kept in a log and shown only when it fails: on success it is noise (mirror
# warnings from pip.conf, setuptools' notices) that a new user would take for trouble.
PIP_QUIET = > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
RUN := $(VENV)/bin/python -m pipeline
STRICT_FLAG := $(if $(STRICT),--strict)
JOBS_FLAG   := $(if $(JOBS),--jobs $(call quote,$(JOBS)))

.PHONY: $(COMMANDS) $(FORMAT_GOALS)

help: ## List the targets (this text)
	@echo "usage: make TARGET [PAGE_SIZE=A4] [PDF_VARIANT=pdf/ua-1] [STRICT=1] [JOBS=n]"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  %-15s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)
	@echo
	@echo "output formats (make FORMAT [FORMAT ...]: one pass over the sources for all):"
	@if [ -x "$(VENV)/bin/python" ]; then $(RUN) formats; \
	 else echo "  (listed once the pipeline is set up: run any target, or make setup)"; fi
	@echo
	@echo 'sources: '$(call quote,$(SOURCES_DIR))'/*.yaml ($(words $(SOURCES)) found); outputs: '$(call quote,$(OUTPUT_DIR))/

setup: $(VENV_STAMP) ## Create .venv and install the pipeline (done by every target)

# Rebuilt from scratch when pyproject.toml changes, so a removed dependency really goes.
$(VENV_STAMP): pyproject.toml tools/ensure-system-packages
	@PYTHON=$(PYTHON) tools/ensure-system-packages
	@rm -rf $(call quote,$(VENV))
	$(PYTHON) -m venv $(call quote,$(VENV))
	@echo "installing the Python packages into $(VENV) (a minute or two, once)"
	@$(VENV)/bin/python -m pip install --quiet --upgrade pip $(PIP_QUIET)
	@$(VENV)/bin/python -m pip install --quiet -e '.[test]' $(PIP_QUIET)
	@touch $@

# ID and TITLE are taken as typed ($(value)), as DOCX below.
new: $(VENV_STAMP) ## Start a new handout and its DOCX: ID=<id> [LANGUAGE=km|en] [TITLE=…]
	@$(RUN) new --sources $(call quote,$(SOURCES_DIR)) --out $(call quote,$(OUTPUT_DIR)) \
		--language $(call quote,$(or $(LANGUAGE),km)) \
		$(if $(value TITLE),--title $(call quote,$(value TITLE))) \
		-- $(call quote,$(or $(value ID),$(error give the new handout's id: make new ID=<id>)))

check: $(VENV_STAMP) ## Validate every source and fair; STRICT=1 fails on warnings too
	@$(RUN) check $(STRICT_FLAG) $(JOBS_FLAG) $(call quote,$(SOURCES_DIR))

fix: $(VENV_STAMP) ## Apply the safe Khmer spelling and spacing fixes to the sources in place
	@$(RUN) fix $(call quote,$(SOURCES_DIR))

# DOCX is taken as typed ($(value)): a '$' in a file name is not a make variable.
import: $(VENV_STAMP) ## Read an edited DOCX back into its source: DOCX=file.docx [DRY_RUN=1] [FORCE=1]
	@$(RUN) import --sources $(call quote,$(SOURCES_DIR)) $(if $(DRY_RUN),--dry-run) \
		$(if $(FORCE),--force) -- $(call quote,$(or $(value DOCX),$(error give the edited \
		file: make import DOCX=output/docx/<id>.docx)))

$(FORMAT_GOALS): outputs
	@:
all: outputs ## Build PDF and DOCX (each source prepared once for both)
	@:

serve: $(VENV_STAMP) ## Preview the site on http://127.0.0.1:8000/ (PORT=, HOST=), rebuilt on save
	@$(RUN) serve --host $(call quote,$(HOST)) --port $(call quote,$(PORT)) \
		--out $(call quote,$(OUTPUT_DIR)) \
		$(if $(filter-out A4,$(PAGE_SIZE)),--page-size $(call quote,$(PAGE_SIZE))) \
		$(call quote,$(SOURCES_DIR))

# Run once for every format asked for on the command line (`make pdf docx`: one pass).
outputs: $(VENV_STAMP)
	@$(RUN) build --formats $(FORMATS) --page-size $(call quote,$(PAGE_SIZE)) \
		--variant $(call quote,$(PDF_VARIANT)) --out $(call quote,$(OUTPUT_DIR)) $(JOBS_FLAG) \
		$(STRICT_FLAG) $(call quote,$(SOURCES_DIR))

# The system tools the tests use (tools/test-tools.txt: poppler, LibreOffice, Chromium, npm):
# installed where we may, as Pango is. Elsewhere the script names what is missing and the
# run goes on: each test that needs a missing tool skips, naming it (under CI it fails).
# After the venv, so that two apt-get runs never overlap.
test-tools: $(VENV_STAMP) ## Install the tools the tests use, where we may (make test does)
	@PYTHON=$(PYTHON) tools/ensure-system-packages --for-tests

# axe-core, the accessibility checker the browser tests inject into the site's pages, comes
# from the npm registry at the version package-lock.json pins (npm itself: see test-tools).
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json | test-tools
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error \
		&& touch $@; else echo "npm not found: the accessibility test will skip"; fi

test: test-tools $(AXE) ## Run the whole test suite (lint, schema, unit and end-to-end tests)
	$(VENV)/bin/ruff check pipeline tests tools
	$(RUN) schema --check
	$(VENV)/bin/python tools/make_reference_docx.py --check
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: $(VENV_STAMP) ## Run ruff on the code
	$(VENV)/bin/ruff check pipeline tests tools

schema: $(VENV_STAMP) ## Regenerate the JSON Schemas in pipeline/schema/ (sources and fairs)
	$(RUN) schema

golden: $(VENV_STAMP) ## Refresh tests/golden/ (the shipped sources' HTML and DOCX XML) after a meant change
	$(VENV)/bin/python tools/golden.py --update

reference-docx: $(VENV_STAMP) ## Rebuild templates/reference.docx (the DOCX styles) from its script
	$(VENV)/bin/python tools/make_reference_docx.py

bench: $(VENV_STAMP) ## Time the build on BENCH_HANDOUTS generated handouts, beside other tools
	$(VENV)/bin/python tools/bench.py --runs $(call quote,$(BENCH_RUNS)) \
		--handouts $(call quote,$(BENCH_HANDOUTS)) \
		$(if $(BENCH_OUTPUT),--output $(call quote,$(BENCH_OUTPUT)))

clean: ## Remove generated outputs (every format's folders in OUTPUT_DIR)
	$(if $(strip $(OUTPUT_DIR)),,$(error OUTPUT_DIR is empty; name the output folder))
	@if [ -x "$(VENV)/bin/python" ]; then $(RUN) clean --out $(call quote,$(OUTPUT_DIR)); \
	 else echo "nothing to clean: the pipeline was never set up here"; fi

distclean: clean ## Remove outputs and the virtual environment
	rm -rf $(call quote,$(VENV)) .pytest_cache .ruff_cache .hypothesis *.egg-info node_modules

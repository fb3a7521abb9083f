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
PAGE_SIZES  := A4 A5 Letter A3
PDF_VARIANTS := pdf/ua-1 pdf/ua-2 pdf/a-2b pdf/a-3b none
ifeq ($(filter $(PAGE_SIZE),$(PAGE_SIZES)),)
$(error PAGE_SIZE=$(PAGE_SIZE) is not one of: $(PAGE_SIZES))
endif
ifeq ($(filter $(PDF_VARIANT),$(PDF_VARIANTS)),)
$(error PDF_VARIANT=$(PDF_VARIANT) is not one of: $(PDF_VARIANTS))
endif
# --- what to build --------------------------------------------------------------------------
# The pipeline works out what is out of date (per handout and per format, from a manifest in
# output/.build/), renders only that in a pool of JOBS workers, and removes the outputs of a
# source that is gone; make only says which formats. The formats are the pipeline's writers
# (pipeline/writers/); `make pdf docx` and `make all` prepare each source once for both.
WRITERS   := pdf print docx booklet print-booklet poster site
JOBS      ?=
ASKED     := $(filter $(WRITERS),$(MAKECMDGOALS)) $(if $(filter all,$(MAKECMDGOALS)),pdf docx)
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

.PHONY: help setup check fix import test lint schema reference-docx $(WRITERS) all outputs \
        bench serve clean distclean

help: ## List the targets (this text)
	@echo "usage: make TARGET [PAGE_SIZE=A4|A5|Letter|A3] [PDF_VARIANT=pdf/ua-1] [STRICT=1] [JOBS=n]"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  %-15s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)
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

check: $(VENV_STAMP) ## Validate every source and fair; STRICT=1 fails on warnings too
	@$(RUN) check $(STRICT_FLAG) $(JOBS_FLAG) $(call quote,$(SOURCES_DIR))

fix: $(VENV_STAMP) ## Apply the safe Khmer spelling and spacing fixes to the sources in place
	@$(RUN) fix $(call quote,$(SOURCES_DIR))

# DOCX is taken as typed ($(value)): a '$' in a file name is not a make variable.
import: $(VENV_STAMP) ## Read an edited DOCX back into its source: DOCX=file.docx [DRY_RUN=1] [FORCE=1]
	@$(RUN) import --sources $(call quote,$(SOURCES_DIR)) $(if $(DRY_RUN),--dry-run) \
		$(if $(FORCE),--force) -- $(call quote,$(or $(value DOCX),$(error give the edited \
		file: make import DOCX=output/docx/<id>.docx)))

pdf: outputs ## Build output/pdf/<id>.pdf (and output/html/<id>.html) for every source
	@:
print: outputs ## Build press versions with 3 mm bleed and crop marks in output/print/
	@:
docx: outputs ## Build editable output/docx/<id>.docx for every source
	@:
booklet: outputs ## Build output/booklet/<fair>.pdf for every fairs/<fair>.yaml: all its handouts
	@:
print-booklet: outputs ## Build press booklets (bleed, crop marks, 4n pages) in output/print-booklet/
	@:
poster: outputs ## Build output/poster/<fair>.pdf: a table sign with a QR code per career
	@:
site: outputs ## Build the web site in output/site/ (with the PDF and DOCX it offers)
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

# axe-core, the accessibility checker the browser tests inject into the site's pages, comes
# from the npm registry at the version package-lock.json pins.
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error \
		&& touch $@; else echo "npm not found: the accessibility test will skip"; fi

test: $(VENV_STAMP) $(AXE) ## Run the whole test suite (lint, schema, unit and end-to-end tests)
	$(VENV)/bin/ruff check pipeline tests tools
	$(RUN) schema --check
	$(VENV)/bin/python tools/make_reference_docx.py --check
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: $(VENV_STAMP) ## Run ruff on the code
	$(VENV)/bin/ruff check pipeline tests tools

schema: $(VENV_STAMP) ## Regenerate the JSON Schemas in pipeline/schema/ (sources and fairs)
	$(RUN) schema

reference-docx: $(VENV_STAMP) ## Rebuild templates/reference.docx (the DOCX styles) from its script
	$(VENV)/bin/python tools/make_reference_docx.py

bench: $(VENV_STAMP) ## Time the build on BENCH_HANDOUTS generated handouts, beside other tools
	$(VENV)/bin/python tools/bench.py --runs $(call quote,$(BENCH_RUNS)) \
		--handouts $(call quote,$(BENCH_HANDOUTS)) \
		$(if $(BENCH_OUTPUT),--output $(call quote,$(BENCH_OUTPUT)))

# Only the folders the build writes; an empty OUTPUT_DIR would make them /pdf, /html, ...
clean: ## Remove generated outputs
	$(if $(strip $(OUTPUT_DIR)),,$(error OUTPUT_DIR is empty; name the output folder))
	rm -rf $(foreach folder,pdf html print docx booklet print-booklet poster site .build,\
		$(call quote,$(OUTPUT_DIR)/$(folder)))

distclean: clean ## Remove outputs and the virtual environment
	rm -rf $(call quote,$(VENV)) .pytest_cache .ruff_cache .hypothesis *.egg-info node_modules

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
BENCH_RUNS  ?= 5
PAGE_SIZES  := A4 A5 Letter
PDF_VARIANTS := pdf/ua-1 pdf/ua-2 pdf/a-2b pdf/a-3b none
ifeq ($(filter $(PAGE_SIZE),$(PAGE_SIZES)),)
$(error PAGE_SIZE=$(PAGE_SIZE) is not one of: $(PAGE_SIZES))
endif
ifeq ($(filter $(PDF_VARIANT),$(PDF_VARIANTS)),)
$(error PDF_VARIANT=$(PDF_VARIANT) is not one of: $(PDF_VARIANTS))
endif
# Dates in the outputs: the last commit that touched the sources, so rebuilds are identical.
SOURCE_DATE_EPOCH := $(or $(SOURCE_DATE_EPOCH),$(shell git log -1 --format=%ct -- \
	$(SOURCES_DIR) 2>/dev/null))
# Exported only when known: an empty value makes fontconfig complain on every run.
ifneq ($(SOURCE_DATE_EPOCH),)
export SOURCE_DATE_EPOCH
else
unexport SOURCE_DATE_EPOCH
endif

# --- what depends on what --------------------------------------------------------------------
# Source names become make targets and shell words, so only the characters an id may hold are
# safe: a space splits a name, ':' or ';' breaks the rules, and 'x$$(cmd).yaml' would run cmd.
# Stop before any rule is read, naming them (the glob runs in the shell, never evaluated).
UNSAFE_SOURCES := $(shell cd '$(SOURCES_DIR)' 2>/dev/null && for name in *.yaml; do \
	[ -e "$$name" ] || continue; case "$$name" in (*[!A-Za-z0-9._-]*) printf "'%s' " "$$name";; \
	esac; done)
ifneq ($(UNSAFE_SOURCES),)
ifneq ($(filter check fix pdf print docx all,$(or $(MAKECMDGOALS),help)),)
$(error $(SOURCES_DIR)/ holds file names make cannot use safely: $(UNSAFE_SOURCES); name each \
source <id>.yaml, with lower-case letters, digits and hyphens)
endif
endif
# The safe names only, so that `make help` and `make clean` still work meanwhile.
SOURCES   := $(sort $(shell cd '$(SOURCES_DIR)' 2>/dev/null && for name in *.yaml; do \
	case "$$name" in (*[!A-Za-z0-9._-]*) ;; (*) [ -e "$$name" ] && echo "$(SOURCES_DIR)/$$name";; \
	esac; done))
IDS       := $(basename $(notdir $(SOURCES)))
CODE      := $(wildcard pipeline/*.py) pipeline/schema/handout.schema.json
TEMPLATES := $(shell find templates -type f 2>/dev/null)
FONTS     := $(wildcard fonts/*.ttf)
CONFIG    := handouts.yaml
# A settings file that changes only when the PDF settings do, so A4 → A5 rebuilds.
PDF_SETTINGS := $(OUTPUT_DIR)/.pdf-settings
RENDER_DEPS  := $(SOURCES) $(CODE) $(TEMPLATES) $(FONTS) $(CONFIG)

PDFS  := $(IDS:%=$(OUTPUT_DIR)/pdf/%.pdf)
PRINT := $(IDS:%=$(OUTPUT_DIR)/print/%.pdf)
DOCXS := $(IDS:%=$(OUTPUT_DIR)/docx/%.docx)

VENV_STAMP := $(VENV)/.installed
# pip's output is kept in a log and shown only when it fails: on success it is noise (mirror
# warnings from pip.conf, setuptools' notices) that a new user would take for trouble.
PIP_QUIET = > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
RUN := $(VENV)/bin/python -m pipeline
STRICT_FLAG := $(if $(STRICT),--strict)

# The pipeline writes each output atomically and keeps the previous one when a handout fails,
# so make must not delete outputs after a failed batch (it would throw away the good ones).
.PRECIOUS: $(PDFS) $(PRINT) $(DOCXS)

.PHONY: help setup check fix test lint schema reference-docx pdf print docx all bench clean \
        distclean

help: ## List the targets (this text)
	@echo "usage: make TARGET [PAGE_SIZE=A4|A5|Letter] [PDF_VARIANT=pdf/ua-1] [STRICT=1]"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  %-15s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)
	@echo
	@echo "sources: $(SOURCES_DIR)/*.yaml ($(words $(SOURCES)) found); outputs: $(OUTPUT_DIR)/"

setup: $(VENV_STAMP) ## Create .venv and install the pipeline (done by every target)

# Rebuilt from scratch when pyproject.toml changes, so a removed dependency really goes.
$(VENV_STAMP): pyproject.toml tools/ensure-system-packages
	@PYTHON=$(PYTHON) tools/ensure-system-packages
	@rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	@echo "installing the Python packages into $(VENV) (a minute or two, once)"
	@$(VENV)/bin/python -m pip install --quiet --upgrade pip $(PIP_QUIET)
	@$(VENV)/bin/python -m pip install --quiet -e '.[test]' $(PIP_QUIET)
	@touch $@

check: $(VENV_STAMP) ## Validate every source; STRICT=1 fails on warnings too
	@$(RUN) check $(STRICT_FLAG) $(SOURCES_DIR)

fix: $(VENV_STAMP) ## Apply the safe Khmer spelling and spacing fixes to the sources in place
	@$(RUN) fix $(SOURCES_DIR)

pdf: $(PDFS) ## Build output/pdf/<id>.pdf (and output/html/<id>.html) for every source

print: $(PRINT) ## Build press versions with 3 mm bleed and crop marks in output/print/

docx: $(DOCXS) ## Build editable output/docx/<id>.docx for every source

all: pdf docx ## Build PDF and DOCX

# One process renders the whole batch: starting WeasyPrint costs ten times one handout.
$(PDFS) &: $(RENDER_DEPS) $(PDF_SETTINGS) | $(VENV_STAMP)
	$(RUN) pdf --page-size $(PAGE_SIZE) --variant $(PDF_VARIANT) --out $(OUTPUT_DIR) \
		$(SOURCES_DIR)

$(PRINT) &: $(RENDER_DEPS) $(PDF_SETTINGS) | $(VENV_STAMP)
	$(RUN) pdf --print --page-size $(PAGE_SIZE) --variant $(PDF_VARIANT) --out $(OUTPUT_DIR) \
		$(SOURCES_DIR)

$(DOCXS) &: $(RENDER_DEPS) $(PDF_SETTINGS) | $(VENV_STAMP)
	$(RUN) docx --page-size $(PAGE_SIZE) --out $(OUTPUT_DIR) $(SOURCES_DIR)

$(PDF_SETTINGS): FORCE
	@mkdir -p $(@D)
	@echo "PAGE_SIZE=$(PAGE_SIZE) PDF_VARIANT=$(PDF_VARIANT)" | cmp -s - $@ \
		|| echo "PAGE_SIZE=$(PAGE_SIZE) PDF_VARIANT=$(PDF_VARIANT)" > $@
FORCE:

test: $(VENV_STAMP) ## Run the whole test suite (lint, schema, unit and end-to-end tests)
	$(VENV)/bin/ruff check pipeline tests tools
	$(RUN) schema --check
	$(VENV)/bin/python tools/make_reference_docx.py --check
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: $(VENV_STAMP) ## Run ruff on the code
	$(VENV)/bin/ruff check pipeline tests tools

schema: $(VENV_STAMP) ## Regenerate pipeline/schema/handout.schema.json from pipeline/schema.py
	$(RUN) schema

reference-docx: $(VENV_STAMP) ## Rebuild templates/reference.docx (the DOCX styles) from its script
	$(VENV)/bin/python tools/make_reference_docx.py

bench: $(VENV_STAMP) ## Measure batch rendering speed (medians of BENCH_RUNS runs)
	$(VENV)/bin/python tools/bench.py --runs $(BENCH_RUNS)

clean: ## Remove generated outputs
	rm -rf $(OUTPUT_DIR)/pdf $(OUTPUT_DIR)/html $(OUTPUT_DIR)/print $(OUTPUT_DIR)/docx \
		$(PDF_SETTINGS)

distclean: clean ## Remove outputs and the virtual environment
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info

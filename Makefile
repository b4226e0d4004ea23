# ATM Support — the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Django 6 needs Python >= 3.12: take the first that answers (pyenv's shims fail unless selected).
PYTHON ?= $(shell for c in \
	"$$(pyenv prefix 3.13.0 2>/dev/null)/bin/python3" \
	"$$(pyenv prefix 3.12.1 2>/dev/null)/bin/python3" \
	python3.13 python3.12 python3; do \
	  if "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	    command -v "$$c"; break; fi; done)

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/atm_support
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
CHROMIUM ?= /usr/bin/chromium

AXE := node_modules/axe-core/axe.min.js

.PHONY: help install run test lint format debs pdf-debs chromium axe screenshots clean

help:
	@echo "make run    install into .venv, migrate, load the demo and serve the portal"
	@echo "make test   install what is missing and run the whole suite (lint included)"
	@echo "make lint   ruff, mypy and djlint"
	@echo "make screenshots  walk the guide in Chromium and refresh docs/img/ (docs/guide.md)"

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "ERROR: no Python >= 3.12 found (tried pyenv 3.13.0 / 3.12.1, python3.13, python3.12, python3)."; \
	  echo "Install Python 3.12+ or run: make PYTHON=/path/to/python3.12 ..."; exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install pdf-debs
	@bash scripts/serve.sh

# Debian packages the suite needs, each as "a file it installs:the package": Chromium for the
# browser tests, nginx for `nginx -t` on deploy/nginx.conf, Dovecot for the support mailbox's
# IMAP tests (tests/mail/dovecot.py starts its own, on a free loopback port), and what WeasyPrint
# loads at import for the statement PDF (allowances/pdf.py; the portal needs it too: `run`
# installs them). Installed only when missing. The libraries' directory is the architecture's
# (x86_64-linux-gnu...).
MULTIARCH := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo "$$(uname -m)-linux-gnu")
LIBDIR := /usr/lib/$(MULTIARCH)
PDF_DEBS := $(LIBDIR)/libpango-1.0.so.0:libpango-1.0-0 \
	$(LIBDIR)/libpangoft2-1.0.so.0:libpangoft2-1.0-0 \
	$(LIBDIR)/libharfbuzz-subset.so.0:libharfbuzz-subset0 \
	/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core
DEBS := $(CHROMIUM):chromium /usr/sbin/nginx:nginx-light /usr/sbin/dovecot:dovecot-imapd $(PDF_DEBS)

debs:
	@missing=; for d in $(DEBS); do [ -e "$${d%%:*}" ] || missing="$$missing $${d#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Missing Debian packages, installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null \
	    || { echo "ERROR: could not install$$missing (apt-get install -y$$missing)"; exit 1; }; \
	  case "$$missing" in *dovecot-imapd*) \
	    echo "Stopping the system Dovecot the package started (the tests run their own)"; \
	    $$SUDO systemctl disable --now dovecot.socket dovecot.service >/dev/null 2>&1 \
	      || $$SUDO service dovecot stop >/dev/null 2>&1 || true;; \
	  esac; \
	fi

chromium: debs

# Only WeasyPrint's, for `make run` (the portal renders the PDF; no browser or nginx needed).
pdf-debs:
	@$(MAKE) --no-print-directory debs DEBS="$(PDF_DEBS)"

# axe-core, for the accessibility checks of the browser tests (package.json, exact version).
$(AXE): package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "ERROR: npm is missing: the accessibility tests need axe-core from the npm registry."; \
	  echo "Install Node.js and npm (Debian: apt-get install npm), then run make test again."; \
	  exit 1; fi
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(AXE)

axe: $(AXE)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/djlint templates --lint

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: install debs axe lint
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) CHROMIUM=$(CHROMIUM) STATIC_MANIFEST=0 \
	  $(VENV)/bin/pytest $(PYTEST_ARGS)

# The guide's walk writes every step to var/screenshots/; a few of them illustrate docs/guide.md.
screenshots: install debs axe
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) CHROMIUM=$(CHROMIUM) STATIC_MANIFEST=0 \
	  $(VENV)/bin/pytest -q tests/e2e/test_guide.py
	$(PY) -m tests.e2e.docs_images

clean:
	rm -rf $(VENV) var node_modules .mypy_cache .pytest_cache .ruff_cache

# Participa: two commands for a newcomer.
#   make run   install, migrate, load demo data, serve on http://127.0.0.1:5000
#   make test  lint (ruff check, ruff format --check), then the suite embedded and on PostgreSQL + Redis
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi:app
CATALOGUES := participa/translations
# Browser tests drive Debian's Chromium; it is installed from Debian's packages, never downloaded.
CHROMIUM ?= /usr/bin/chromium
# The router of docker-compose.yml is tested in Debian's nginx (tests/integration/test_proxy_config.py).
NGINX ?= /usr/sbin/nginx
# The Nu HTML Checker runs on Java (tests/web/test_html_validity.py).
JAVA ?= /usr/bin/java
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-test services compile-catalogues i18n lint test-embedded test-postgres bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python $(VENV)/.system-libs
	$(BIN)/pip install --quiet -e .
	touch $@

# WeasyPrint (the certificate's PDF) lays text out with the system's Pango and needs a font.
$(VENV)/.system-libs: | $(BIN)/python
	@if ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || ! fc-list 2>/dev/null | grep -qi dejavu; then \
	  echo "Installing Debian's Pango and DejaVu fonts for the certificate's PDF"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fontconfig; fi
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

# Leaflet for the maps and axe-core for the browser tests, exactly as package-lock.json pins them
# (npm ci, no browser download).
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "Installing Debian's npm package for axe-core"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
	npm ci --no-audit --no-fund
	touch $@

# Leaflet (the project maps) from node_modules into static/vendor/, where the site serves it.
VENDOR := static/vendor/leaflet/leaflet.js
$(VENDOR): node_modules/.installed
	mkdir -p static/vendor/leaflet
	cp -R node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images static/vendor/leaflet/
	touch $@

install: $(VENV)/.installed compile-catalogues $(VENDOR)

install-test: $(VENV)/.installed-test node_modules/.installed compile-catalogues $(VENDOR)

compile-catalogues: $(VENV)/.installed
	@$(BIN)/pybabel compile --statistics -d $(CATALOGUES) 2>&1 | sed 's/^/  /'

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	@echo "Participa en http://127.0.0.1:5000  (correo local: http://127.0.0.1:5000/correo-local/)"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(CHROMIUM):
	@echo "Installing Debian's chromium package for the browser tests"
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

$(NGINX):
	@echo "Installing Debian's nginx-light package for the router's test"
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx-light

$(JAVA):
	@echo "Installing Debian's default-jre-headless package for the HTML checker"
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq default-jre-headless

test: install-test lint $(CHROMIUM) $(NGINX) $(JAVA)
	bash scripts/test-legs.sh

test-embedded: install-test
	bash scripts/test-legs.sh embedded

test-postgres: install-test
	bash scripts/test-legs.sh postgres

# Extract every user-facing string and update both catalogues (Spanish is the source language).
i18n: $(VENV)/.installed-test
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l -k lazy_gettext -o $(CATALOGUES)/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i $(CATALOGUES)/messages.pot -d $(CATALOGUES)
	$(BIN)/python scripts/fill_source_catalogue.py $(CATALOGUES)/es/LC_MESSAGES/messages.po
	$(BIN)/pybabel compile -d $(CATALOGUES)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Participa: one image for every application process (web, worker, worker-long, beat, migrate).
# Build: docker build -t participa .   Run the whole stack with docker-compose.yml (see README).
# Leaflet, for the project maps, as package-lock.json pins it.
FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim

# PYTHONPATH=/app: the application finds templates/, static/, migrations/ and alembic.ini next to
# the participa/ package it was imported from (participa.config.ROOT), so the copy in /app must
# win over the one `pip install .` puts in site-packages.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    FLASK_APP=wsgi:app \
    PARTICIPA_ENV=production

# Pango and a font for WeasyPrint, which renders the certificate's PDF.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fontconfig \
    && rm -rf /var/lib/apt/lists/*

# A writable home: gunicorn puts its control socket in ~/.gunicorn.
RUN groupadd --system --gid 10001 participa \
    && useradd --system --uid 10001 --gid participa --create-home --home-dir /home/participa \
       --shell /usr/sbin/nologin participa

WORKDIR /app

# The package and its dependencies (pyproject.toml names README.md as the long description).
COPY pyproject.toml README.md ./
COPY participa/ participa/
COPY worker/ worker/
RUN pip install . \
    && pybabel compile -d participa/translations \
    && rm -rf build participa.egg-info

COPY templates/ templates/
COPY static/ static/
COPY --from=assets /assets/node_modules/leaflet/dist/leaflet.js /assets/node_modules/leaflet/dist/leaflet.css static/vendor/leaflet/
COPY --from=assets /assets/node_modules/leaflet/dist/images/ static/vendor/leaflet/images/
COPY migrations/ migrations/
COPY alembic.ini wsgi.py ./

# instance/ is the only place the application may write (the `uploads` volume in compose).
RUN mkdir -p /app/instance && chown participa:participa /app/instance

USER participa
EXPOSE 8000

CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "3", "--threads", "8", "--access-logfile", "-", "wsgi:app"]

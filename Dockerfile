# ATM Support: one image for the web server (gunicorn), the Celery worker and Celery beat.
# See docker-compose.yml for a complete stack, and .env.example for every setting it reads.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# PostgreSQL's client for `manage.py backup` / `restore` (pg_dump, pg_restore): Debian's, whose major
# version (17 on this base) is the server's in docker-compose.yml, as the backup requires.
# Pango, HarfBuzz's subsetter and a font: what WeasyPrint loads for the statement PDF
# (allowances/pdf.py), in the web server and in the worker that attaches it to the mail.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

# Runtime dependencies first, from pyproject.toml alone, so that this layer is rebuilt only when
# they change. The project itself is no package (`packages = []`): it runs from /app.
# (README.md* rather than README.md: pyproject.toml names it, but the build must not need it.)
COPY pyproject.toml README.md* ./
RUN pip install . \
 && rm -rf build ./*.egg-info

COPY . .

# Static files are collected into var/static at build time, with throw-away values that exist only
# for this command (no database or broker is touched; the key is never used to sign anything).
# The non-root user owns only what the portal writes to: var/ (the SQLite fallback when
# DATABASE_URL is unset) and /data/media (private attachments, PRIVATE_MEDIA_ROOT below).
RUN SECRET_KEY=collectstatic-build-only-not-a-secret DEBUG=0 DATABASE_URL= REDIS_URL= \
      python manage.py collectstatic --noinput \
 && useradd --system --user-group --uid 10001 --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin atm \
 && mkdir -p /data/media \
 && chown atm:atm /app/var /data/media

# Attachments go to /data/media: mount a volume there (docker-compose.yml does).
ENV PRIVATE_MEDIA_ROOT=/data/media

USER atm

EXPOSE 8000

CMD ["gunicorn", "atm_support.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]

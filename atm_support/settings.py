"""Settings for ATM Support, read from the environment (see .env.example).

Without any configuration the portal runs on SQLite, prints e-mails to the console and runs Celery
tasks in-process; `DATABASE_URL`, `REDIS_URL` and `EMAIL_HOST` switch to PostgreSQL, Redis and SMTP.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

# Lets admin classes be written ModelAdmin[Model] for mypy, at no runtime cost.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """An empty variable counts as unset, as in env_bool and env_int."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


SQLITE_ENGINE = "django.db.backends.sqlite3"


def database_from_url(url: str) -> dict[str, Any]:
    """Django's DATABASES entry for `postgres://user:password@host:port/name` or a SQLite file.

    dj-database-url reads the URL (query options such as ?sslmode=require included), as most
    Django hosts write it: `sqlite:///var/db.sqlite3` is relative to the working directory,
    `sqlite:////srv/db.sqlite3` absolute. Only the two databases the suite runs on are accepted.
    """
    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL: unsupported scheme {scheme!r} (postgres://user:password@host:5432/"
            "name, sqlite:///relative/path.sqlite3 or sqlite:////absolute/path.sqlite3)"
        )
    if scheme == "sqlite":
        database: dict[str, Any] = dict(dj_database_url.parse(url))
        if database["NAME"] != ":memory:":
            Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        return database
    database = dict(
        dj_database_url.parse(
            url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    )
    database["PORT"] = str(database["PORT"] or "")  # a string, as Django's own settings write it
    # No parallel query workers: on a few cores, a worker process started for a few ms
    # costs more CPU than it saves and takes it from the other requests (bench/README.md
    # § 5.1, 2 cores: Accueil 33 → 43 req/s, page 200 13 → 17 req/s without them).
    options = database.setdefault("OPTIONS", {})
    options["options"] = " ".join(
        filter(None, [options.get("options"), "-c max_parallel_workers_per_gather=0"])
    )
    return database


DEBUG = env_bool("DEBUG")
# Django's technical 404/500 pages in DEBUG, for developers; off: the portal's French pages.
DEBUG_ERROR_PAGES = env_bool("DEBUG_ERROR_PAGES")
SECRET_KEY = env("SECRET_KEY", "django-insecure-dev-only-change-me-for-any-real-deployment")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

# Every link in an e-mail is built from SITE_URL, never from the request's Host header.
SITE_URL = env("SITE_URL", "http://localhost:8000").rstrip("/")
SUPPORT_EMAIL = env("SUPPORT_EMAIL", "support@atm-consulting.fr")
# The team's address (a list, a shared mailbox): mailed about every new ticket, though it is no
# account (notifications.selectors.recipients_for). Empty: off.
SUPPORT_TEAM_EMAIL = env("SUPPORT_TEAM_EMAIL").lower()
CSRF_TRUSTED_ORIGINS = [SITE_URL, *env_list("CSRF_TRUSTED_ORIGINS")]


def parse_targets(items: list[str]) -> dict[str, tuple[float, float]]:
    """« urgent=2/16,low=16/80 »: per priority, business hours to the first staff answer and to
    the resolution (tickets/targets.py has every priority's default)."""
    targets: dict[str, tuple[float, float]] = {}
    for item in items:
        priority, _sep, hours = item.partition("=")
        answer, _sep, resolution = hours.partition("/")
        try:
            targets[priority.strip().lower()] = (float(answer), float(resolution))
        except ValueError:
            raise ValueError(
                f"TICKET_RESPONSE_TARGETS: « {item} » is not priority=answer/resolution"
            ) from None
    return targets


# Response targets in business hours (Mon-Fri 9-18 Paris, French holidays off), per priority:
# immediate, urgent, high, normal, low, none. Unset ones keep tickets.targets.DEFAULT_TARGETS.
TICKET_RESPONSE_TARGETS = parse_targets(env_list("TICKET_RESPONSE_TARGETS"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "mail",
    "accounts",
    "tickets",
    "notifications",
    "allowances",
    "health",
    "mantis",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Before anything that may read the body; after WhiteNoise, whose files keep their caching.
    "atm_support.middleware.RequestLimitsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.AdminReservedForStaffMiddleware",
    # process_view, after CsrfViewMiddleware's (atm_support/input_guards.py).
    "atm_support.input_guards.RejectNulBytesMiddleware",
    "atm_support.input_guards.AdminSelectionMiddleware",
    # After MessageMiddleware: an oversized admin search is dropped with a message.
    "atm_support.admin_search.AdminSearchBoundsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, nearest the view: the French error pages in DEBUG too (atm_support/error_pages.py).
    "atm_support.error_pages.PortalErrorPagesMiddleware",
]

ROOT_URLCONF = "atm_support.urls"
WSGI_APPLICATION = "atm_support.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "atm_support.context_processors.site",
            ],
        },
    },
]

if env("DATABASE_URL"):
    DATABASES = {"default": database_from_url(env("DATABASE_URL"))}
else:
    # The embedded default of `make run`: one file under var/, nothing to install.
    SQLITE_PATH = Path(env("SQLITE_PATH", str(BASE_DIR / "var" / "db.sqlite3")))
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": {"ENGINE": SQLITE_ENGINE, "NAME": str(SQLITE_PATH)}}
if DATABASES["default"]["ENGINE"] == SQLITE_ENGINE:
    # The tickets' covering indexes list INCLUDE columns, a PostgreSQL feature SQLite ignores:
    # same indexes without them, nothing to warn about on every migrate.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
# Django's cache (kept pages, sessions' copies) may have a Redis of its own: one bounded by
# maxmemory with LRU eviction (docker-compose.yml `cache`), while the broker's Redis never
# evicts, so that a full cache can never drop a Celery message. What eviction takes costs a
# query (sessions are in the database too) or a render.
CACHE_URL = env("CACHE_URL", REDIS_URL)
# The attempt counters (accounts/throttle.py) must not be evictable either: whoever can fill the
# cache (a client's many searches) would otherwise clear their own count of wrong passwords.
# They live in the broker's Redis, which never evicts; every counter expires with its window.
COUNTERS_URL = REDIS_URL or CACHE_URL


def redis_cache(url: str) -> dict[str, Any]:
    return {
        "BACKEND": "atm_support.cache.RedisCache",  # one client per pool: see the module
        "LOCATION": url,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", "atm"),
        # A Redis that stops answering costs a page 2 s at most (redis-py waits forever by
        # default); the request then gets the « service indisponible » page (atm_support.errors).
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }


LOCAL_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
CACHES = {
    "default": redis_cache(CACHE_URL) if CACHE_URL else LOCAL_CACHE,
    "counters": redis_cache(COUNTERS_URL) if COUNTERS_URL else LOCAL_CACHE,
}
if CACHE_URL:
    # Sessions read from Redis, written through to the database: one query less per page.
    # Code that deletes session rows must clear their cached copy too (accounts.admin).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Rendered client pages kept until a write changes them (atm_support/pagecache.py). Every process
# that writes must share the cache, so it is on by default only with Redis.
PAGE_CACHE = env_bool("PAGE_CACHE", bool(CACHE_URL))
# At most this long (seconds) for a write made outside the application (a manual SQL fix).
PAGE_CACHE_TIMEOUT = env_int("PAGE_CACHE_TIMEOUT", 600)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledEmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "tickets:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day

INVITATION_VALIDITY_DAYS = env_int("INVITATION_VALIDITY_DAYS", 7)
EMAIL_CHANGE_VALIDITY_HOURS = env_int("EMAIL_CHANGE_VALIDITY_HOURS", 48)
# Days a « Commentaire » ticket waits for the client's answer before it is resolved automatically.
AUTORESOLVE_FEEDBACK_DAYS = env_int("AUTORESOLVE_FEEDBACK_DAYS", 30)
# Login throttling: failures counted in a fixed window, per (account, IP), per account and per IP.
# The per-account limit is high enough that a stranger cannot lock a client out for longer than
# one window, and a client coming from another IP is only held by the per-account limit.
LOGIN_THROTTLE_WINDOW = env_int("LOGIN_THROTTLE_WINDOW", 15 * 60)
LOGIN_THROTTLE_ACCOUNT_IP_LIMIT = env_int("LOGIN_THROTTLE_ACCOUNT_IP_LIMIT", 5)
LOGIN_THROTTLE_ACCOUNT_LIMIT = env_int("LOGIN_THROTTLE_ACCOUNT_LIMIT", 20)
LOGIN_THROTTLE_IP_LIMIT = env_int("LOGIN_THROTTLE_IP_LIMIT", 50)
# « Mot de passe oublié » mails, counted in a fixed window per address and per client IP;
# beyond the cap nothing is sent and the page says the same as always.
PASSWORD_RESET_THROTTLE_WINDOW = env_int("PASSWORD_RESET_THROTTLE_WINDOW", 60 * 60)
PASSWORD_RESET_THROTTLE_EMAIL_LIMIT = env_int("PASSWORD_RESET_THROTTLE_EMAIL_LIMIT", 3)
PASSWORD_RESET_THROTTLE_IP_LIMIT = env_int("PASSWORD_RESET_THROTTLE_IP_LIMIT", 10)
# How many reverse proxies in front of the app append to X-Forwarded-For (0: trust REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Request bodies, in bytes (atm_support/middleware.py): a larger one gets a 413 before anything
# reads it, and a body that streams past its cap is cut there. Django's DATA_UPLOAD_MAX_MEMORY_SIZE
# does not cover file parts, which it streams to temporary files. The views that take attachments
# (marked with atm_support.middleware.accepts_uploads) get MAX_UPLOAD_REQUEST_BODY instead: files
# and fields of one request together. The nginx in front (client_max_body_size) allows a bit more,
# so that the application's French answer is the one users see.
MAX_REQUEST_BODY = env_int("MAX_REQUEST_BODY", 5 * 512 * 1024)  # 2.5 MiB, Django's form limit
# 52.5 MiB: the 50 MiB of files a form takes (tickets/attachments.py MAX_FILES_TOTAL) and 2.5 MiB
# for its fields, so that files just over their limit reach the form, whose French error keeps
# what was typed; only a body beyond that gets the 413, which cannot.
MAX_UPLOAD_REQUEST_BODY = env_int("MAX_UPLOAD_REQUEST_BODY", (50 * 1024 + 2560) * 1024)
# Pixels of all the images of one submission together, read from their headers before any is
# decoded (tickets/attachments.py): each image may have 50 megapixels, ten of them cost seconds.
MAX_IMAGE_PIXELS_PER_REQUEST = env_int("MAX_IMAGE_PIXELS_PER_REQUEST", 100_000_000)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
# Links typed without a scheme (www.example.fr) open in https (Django's future default).
URLIZE_ASSUME_HTTPS = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing one
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed, compressed files come from collectstatic's manifest; until it exists (a plain
# `manage.py runserver` without DEBUG) the pages link the plain files, served from the app
# directories, and health/system_checks.py says to run collectstatic
# (atm_support/static_storage.py).
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
STATIC_COLLECTED = (STATIC_ROOT / "staticfiles.json").is_file()
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "media"))},
    },
    "staticfiles": {
        "BACKEND": (
            "atm_support.static_storage.ManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Attachments are private: no MEDIA_URL serves them, only views that check the viewer's rights.
# With ATTACHMENTS_S3_BUCKET they go to an S3-compatible bucket instead of PRIVATE_MEDIA_ROOT, so
# that several web servers share them (docs/operations.md); still served by the same view only.
if env("ATTACHMENTS_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("ATTACHMENTS_S3_BUCKET"),
            "location": env("ATTACHMENTS_S3_PREFIX"),  # a folder of a shared bucket
            "endpoint_url": env("ATTACHMENTS_S3_ENDPOINT_URL") or None,  # None: AWS itself
            "region_name": env("ATTACHMENTS_S3_REGION") or None,
            "addressing_style": env("ATTACHMENTS_S3_ADDRESSING_STYLE") or None,
            # None lets boto3 find the keys itself (AWS_ACCESS_KEY_ID…, an instance role).
            "access_key": env("ATTACHMENTS_S3_ACCESS_KEY") or None,
            "secret_key": env("ATTACHMENTS_S3_SECRET_KEY") or None,
            # No ACL sent: an object gets the bucket's default, private to its owner. A canned
            # ACL would also be refused by buckets whose ACLs are disabled (AWS's default).
            "default_acl": None,
            # Names are generated (uuid4): a clash must fail over to a new name, as on disk,
            # never replace another ticket's file.
            "file_overwrite": False,
            # A file being served is first fetched whole: beyond 1 MiB, into a temporary file
            # rather than the web worker's memory.
            "max_memory_size": 1024 * 1024,
        },
    }
WHITENOISE_USE_FINDERS = env_bool(
    "WHITENOISE_USE_FINDERS", DEBUG or (STATIC_MANIFEST and not STATIC_COLLECTED)
)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail (Django 6.1 MAILERS): SMTP as soon as EMAIL_HOST is set, the console otherwise (make run).
_email_host = env("EMAIL_HOST")
if _email_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env_int("EMAIL_PORT", 25),
                "username": env("EMAIL_HOST_USER"),
                "password": env("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS"),
                "use_ssl": env_bool("EMAIL_USE_SSL"),
                # A dead SMTP server must never hang a request or a worker for long.
                "timeout": env_int("EMAIL_TIMEOUT", 10),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "ATM Support <support@atm-consulting.fr>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = "[ATM Support] "

# E-mail in (mail/inbound/, notifications/inbound.py): off while INBOUND_IMAP_URL is unset.
# imaps://user:password@host:993/INBOX (implicit TLS), imap://…:143/INBOX (STARTTLS, required);
# plain IMAP (?tls=off) only to a loopback address. Handled mails go to the folder « Traités »,
# those that could not be handled to « Erreurs »; none is ever deleted.
INBOUND_IMAP_URL = env("INBOUND_IMAP_URL")
# The support address replies go to, with plus-addressing: support+<ticket>.<user>.<signature>@…
INBOUND_ADDRESS = env("INBOUND_ADDRESS", SUPPORT_EMAIL if INBOUND_IMAP_URL else "")
INBOUND_FETCH_EVERY = env_int("INBOUND_FETCH_EVERY", 60)  # seconds between two reads (beat)
INBOUND_BATCH = env_int("INBOUND_BATCH", 500)  # messages handled per read at most
# The category of a ticket opened by mail (its name); the first active category when unset.
INBOUND_CATEGORY = env("INBOUND_CATEGORY")
INBOUND_TICKETS_PER_HOUR = env_int("INBOUND_TICKETS_PER_HOUR", 10)  # per sender

# Celery: Redis broker when REDIS_URL is set; without a broker, tasks run in-process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # Eager tasks still take a producer from the pool: an in-memory one, no network, no warning.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = TIME_ZONE
# No result backend: tasks record their outcome in the database (the notification outbox).
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than any countdown or ETA a task uses (a notification retry waits 30 min at most),
    # so that Redis does not redeliver early.
    "visibility_timeout": 6 * 60 * 60,
    # A web request publishes after commit: a broker that is away costs it seconds, not forever.
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# django-celery-beat does not support Django 6.1: the schedule lives here, in code.
CELERY_BEAT_SCHEDULE = {
    "accounts-clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": crontab(hour="3", minute="17"),
    },
    # Re-enqueues the e-mails of every outbox (notifications, allowance mails) that a broker
    # outage or a lost message left waiting.
    "mail-sweep-outboxes": {
        "task": "mail.tasks.sweep_outboxes",
        "schedule": 60.0,
    },
    # E-mail in: read the support mailbox (nothing to do while INBOUND_IMAP_URL is unset). A
    # read still running skips the next (mail.tasks.fetch_inbound); a late one is dropped.
    "mail-fetch-inbound": {
        "task": "mail.tasks.fetch_inbound",
        "schedule": float(INBOUND_FETCH_EVERY),
        "options": {"expires": max(INBOUND_FETCH_EVERY - 5, 5)},
    },
    # Unanswered « Commentaire » tickets → « Résolu » (AUTORESOLVE_FEEDBACK_DAYS); idempotent.
    "tickets-autoresolve-feedback": {
        "task": "tickets.tasks.autoresolve_feedback",
        "schedule": crontab(hour="6", minute="30"),
    },
    # Attachment files left by a rolled-back upload or a deleted ticket (tickets/orphans.py).
    "tickets-purge-orphan-files": {
        "task": "tickets.tasks.purge_orphan_files",
        "schedule": crontab(hour="4", minute="10"),
    },
    # Month end (CELERY_TIMEZONE is Europe/Paris): close the Résolu tickets, debit them, credit
    # the new month, mail the statements. Idempotent; a missed month is caught up by the next.
    "allowances-close-month": {
        "task": "allowances.tasks.close_month",
        "schedule": crontab(day_of_month="1", hour="0", minute="5"),
    },
    # Proves beat, broker, worker and database work together; /sante/ reads its age (health/).
    # A beat that waited longer than a minute (worker down) is dropped, not run late in a row.
    "health-heartbeat": {
        "task": "health.tasks.heartbeat",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}

# Security. Behind HTTPS (production), set SECURE_HTTPS=1; `manage.py check --deploy` is then clean.
SECURE_HTTPS = env_bool("SECURE_HTTPS")
SECURE_SSL_REDIRECT = SECURE_HTTPS
# A healthcheck from inside the host or container asks in plain HTTP (it shows nothing private).
SECURE_REDIRECT_EXEMPT = [r"^sante/$"]
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
LANGUAGE_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HTTPS)
if env_bool("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 60 * 60)
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

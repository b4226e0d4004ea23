"""Settings of the benchmark: the project's, served as in production, on the atm_bench database.

    DJANGO_SETTINGS_MODULE=bench.settings

DEBUG off (cached templates, no query log), persistent database connections, plain static files
(no collectstatic manifest needed), and `bench.urls`: the project's pages plus the ceiling view.
"""

from __future__ import annotations

import os

# Before the project's settings read it: the benchmark never runs on the development database.
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/atm_bench")

from atm_support.settings import *  # noqa: F403
from atm_support.settings import (
    ALLOWED_HOSTS,
    DATABASES,
    LOGGING,
    STORAGES,
    env_int,
)

DEBUG = False
ROOT_URLCONF = "bench.urls"

# The project reads DB_CONN_MAX_AGE (60 s by default): 600 s keeps every worker's connection
# for the whole run, as a production server would.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 600)

# wrk and urllib talk to 127.0.0.1; the test Client that counts queries says "testserver".
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "127.0.0.1", "localhost", "testserver"]

# Templates only reference static files here; no manifest means no collectstatic beforehand.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# Quiet workers: a log line per request would be measured too.
LOGGING["root"] = {"handlers": ["console"], "level": "WARNING"}

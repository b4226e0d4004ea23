"""The benchmarks' throw-away PostgreSQL databases."""

from __future__ import annotations

import psycopg2
from psycopg2 import sql


def recreate_postgres(name: str, *, prefix: str) -> None:
    """Drop (closing its connections) and create database `name`, which must start with `prefix`:
    a benchmark never drops a database that is not one of its own."""
    if not name.startswith(prefix):
        raise SystemExit(f"the database name must start with {prefix!r}: {name!r}")
    admin = psycopg2.connect(dbname="postgres", user="postgres", host="127.0.0.1", port=5432)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()

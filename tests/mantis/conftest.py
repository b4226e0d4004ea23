"""A real MariaDB holding MantisBT's own schema (sql/schema_2x.sql, sql/schema_12x.sql) and a
French data set (sql/data_fr.sql): one fresh database per test, dropped after it.

MariaDB runs on 127.0.0.1:3306 (root, no password); `.ci/run` starts it when it is down. A test
that finds it down fails with that said, rather than being skipped.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymysql
import pymysql.cursors
import pytest
from pymysql.constants import CLIENT

HERE = Path(__file__).parent
SQL = HERE / "sql"
HOST, PORT, USER = "127.0.0.1", 3306, "root"


def _connect(database: str | None = None) -> Any:
    try:
        return pymysql.connect(
            host=HOST,
            port=PORT,
            user=USER,
            password="",
            database=database,
            charset="utf8mb4",
            client_flag=CLIENT.MULTI_STATEMENTS,
            cursorclass=pymysql.cursors.DictCursor,
            autocommit=True,
        )
    except pymysql.err.OperationalError as error:  # pragma: no cover - the machine's state
        pytest.fail(f"MariaDB is not running on {HOST}:{PORT} (.ci/run starts it): {error}")


@dataclass
class MantisDatabase:
    database: str
    files_dir: Path
    prefix: str = "mantis_"
    suffix: str = "_table"

    @property
    def url(self) -> str:
        return f"mysql://{USER}@{HOST}:{PORT}/{self.database}"

    def table(self, name: str) -> str:
        return f"`{self.prefix}{name}{self.suffix}`"

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        connection = _connect(self.database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
        finally:
            connection.close()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        connection = _connect(self.database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                while cursor.nextset():
                    pass
        finally:
            connection.close()

    def count(self, name: str, where: str = "") -> int:
        return int(self.query(f"SELECT COUNT(*) AS n FROM {self.table(name)} {where}")[0]["n"])


def renamed(sql: str, prefix: str, suffix: str) -> str:
    """MantisBT's default table names (`mantis_bug_table`) with another prefix and suffix."""
    return re.sub(r"`mantis_(\w+?)_table`", lambda m: f"`{prefix}{m.group(1)}{suffix}`", sql)


def create_source(
    tmp_path: Path,
    scripts: list[Path],
    files: Path,
    *,
    kind: type[MantisDatabase] = MantisDatabase,
    name_prefix: str = "mantis_t_",
    prefix: str = "mantis_",
    suffix: str = "_table",
) -> MantisDatabase:
    """A new MariaDB database loaded with `scripts` (table names given `prefix` and
    `suffix`), and a copy of `files`, MantisBT's old upload folder, for --files-dir."""
    name = f"{name_prefix}{uuid.uuid4().hex[:12]}"
    upload = tmp_path / "mantis-upload"
    shutil.copytree(files, upload)
    server = _connect()
    try:
        with server.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    finally:
        server.close()
    source = kind(name, upload, prefix, suffix)
    for script in scripts:
        MantisDatabase.execute(source, renamed(script.read_text(encoding="utf-8"), prefix, suffix))
    return source


def _create(
    tmp_path: Path, scripts: list[str], *, prefix: str = "mantis_", suffix: str = "_table"
) -> MantisDatabase:
    return create_source(
        tmp_path, [SQL / script for script in scripts], HERE / "files", prefix=prefix, suffix=suffix
    )


def drop_source(source: MantisDatabase) -> None:
    server = _connect()
    try:
        with server.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{source.database}`")
    finally:
        server.close()


@pytest.fixture
def mantis_source(tmp_path: Path) -> Iterator[MantisDatabase]:
    """MantisBT 2.28 (schema 213) with the French data set."""
    source = _create(tmp_path, ["schema_2x.sql", "data_fr.sql"])
    yield source
    drop_source(source)


@pytest.fixture
def mantis_source_renamed(tmp_path: Path) -> Iterator[MantisDatabase]:
    """The same, installed with `$g_db_table_prefix = 'mbt'` and no suffix."""
    source = _create(tmp_path, ["schema_2x.sql", "data_fr.sql"], prefix="mbt_", suffix="")
    yield source
    drop_source(source)


@pytest.fixture
def mantis_source_12x(tmp_path: Path) -> Iterator[MantisDatabase]:
    """MantisBT 1.2.20 (schema 183: MyISAM, no bugnote_id on files) with a small data set."""
    source = _create(tmp_path, ["schema_12x.sql", "data_12x.sql"])
    yield source
    drop_source(source)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """The attachment storage in a folder of this test."""
    location = tmp_path / "media"
    storages = {**settings.STORAGES}
    storages["default"] = {**storages["default"], "OPTIONS": {"location": str(location)}}
    settings.STORAGES = storages
    return location

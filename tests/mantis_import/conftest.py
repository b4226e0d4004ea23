"""A fresh MariaDB database per test holding MantisBT's own schema (copied from
tests/mantis/sql/schema_*.sql) and the French data set of this folder (sql/data_fr.sql), dropped
after the test. MariaDB runs on 127.0.0.1:3306 (root, no password); `.ci/run` starts it."""

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
SCHEMAS = HERE.parent / "mantis" / "sql"
HOST, PORT, USER = "127.0.0.1", 3306, "root"


def connect(database: str | None = None) -> Any:
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
class MantisSource:
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
        """`{bug}` in sql stands for the bug table's real name (prefix and suffix applied)."""
        connection = connect(self.database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(self._names(sql), params)
                return list(cursor.fetchall())
        finally:
            connection.close()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        connection = connect(self.database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(self._names(sql), params or None)
                while cursor.nextset():
                    pass
        finally:
            connection.close()

    def count(self, name: str, where: str = "") -> int:
        sql = f"SELECT COUNT(*) AS n FROM {{{name}}} {where}"  # noqa: S608 - test-owned names
        return int(self.query(sql)[0]["n"])

    def _names(self, sql: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: self.table(m.group(1)), sql)


def renamed(sql: str, prefix: str, suffix: str) -> str:
    """MantisBT's default table names (`mantis_bug_table`) with another prefix and suffix."""
    return re.sub(r"`mantis_(\w+?)_table`", lambda m: f"`{prefix}{m.group(1)}{suffix}`", sql)


def _create(
    tmp_path: Path, scripts: list[Path], *, prefix: str = "mantis_", suffix: str = "_table"
) -> MantisSource:
    name = f"mantis_t5_{uuid.uuid4().hex[:12]}"
    files = tmp_path / "mantis-upload"
    shutil.copytree(HERE / "files", files)
    server = connect()
    try:
        with server.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    finally:
        server.close()
    source = MantisSource(name, files, prefix, suffix)
    for script in scripts:
        text = renamed(script.read_text(encoding="utf-8"), prefix, suffix)
        connection = connect(name)
        try:
            with connection.cursor() as cursor:
                cursor.execute(text)
                while cursor.nextset():
                    pass
        finally:
            connection.close()
    return source


def _drop(source: MantisSource) -> None:
    server = connect()
    try:
        with server.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{source.database}`")
    finally:
        server.close()


@pytest.fixture
def mantis_source(tmp_path: Path) -> Iterator[MantisSource]:
    """MantisBT 2.x (schema 213) with the French data set."""
    source = _create(tmp_path, [SCHEMAS / "schema_2x.sql", HERE / "sql" / "data_fr.sql"])
    yield source
    _drop(source)


@pytest.fixture
def mantis_source_12x(tmp_path: Path) -> Iterator[MantisSource]:
    """MantisBT 1.2.x (schema 183: MyISAM, no bug_file.bugnote_id) with the same data set."""
    source = _create(tmp_path, [SCHEMAS / "schema_12x.sql", HERE / "sql" / "data_fr_12x.sql"])
    yield source
    _drop(source)


@pytest.fixture
def mantis_source_renamed(tmp_path: Path) -> Iterator[MantisSource]:
    """The 2.x data set installed with `$g_db_table_prefix = 'mbt'` and `_tbl` as suffix."""
    source = _create(
        tmp_path,
        [SCHEMAS / "schema_2x.sql", HERE / "sql" / "data_fr.sql"],
        prefix="mbt_",
        suffix="_tbl",
    )
    yield source
    _drop(source)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """The attachment storage in a folder of this test."""
    location = tmp_path / "media"
    storages = {**settings.STORAGES}
    storages["default"] = {**storages["default"], "OPTIONS": {"location": str(location)}}
    settings.STORAGES = storages
    return location

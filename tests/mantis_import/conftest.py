"""A fresh MariaDB database per test holding MantisBT's own schema (tests/mantis/sql/schema_*.sql)
and the French data set of this folder (sql/data_fr.sql), dropped after the test: the MariaDB
plumbing is tests/mantis/conftest.py's. MariaDB runs on 127.0.0.1:3306 (root, no password);
`.ci/run` starts it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.mantis.conftest import MantisDatabase, create_source, drop_source
from tests.mantis.conftest import media as media

HERE = Path(__file__).parent
SCHEMAS = HERE.parent / "mantis" / "sql"


class MantisSource(MantisDatabase):
    """`{bug}` in the SQL of query / execute / count stands for the bug table's real name."""

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return super().query(self._names(sql), params)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        super().execute(self._names(sql), params)

    def count(self, name: str, where: str = "") -> int:
        sql = f"SELECT COUNT(*) AS n FROM {{{name}}} {where}"  # noqa: S608 - test-owned names
        return int(self.query(sql)[0]["n"])

    def _names(self, sql: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: self.table(m.group(1)), sql)


def _create(
    tmp_path: Path, scripts: list[Path], *, prefix: str = "mantis_", suffix: str = "_table"
) -> MantisSource:
    source = create_source(
        tmp_path,
        scripts,
        HERE / "files",
        kind=MantisSource,
        name_prefix="mantis_t5_",
        prefix=prefix,
        suffix=suffix,
    )
    assert isinstance(source, MantisSource)
    return source


@pytest.fixture
def mantis_source(tmp_path: Path) -> Iterator[MantisSource]:
    """MantisBT 2.x (schema 213) with the French data set."""
    source = _create(tmp_path, [SCHEMAS / "schema_2x.sql", HERE / "sql" / "data_fr.sql"])
    yield source
    drop_source(source)


@pytest.fixture
def mantis_source_12x(tmp_path: Path) -> Iterator[MantisSource]:
    """MantisBT 1.2.x (schema 183: MyISAM, no bug_file.bugnote_id) with the same data set."""
    source = _create(tmp_path, [SCHEMAS / "schema_12x.sql", HERE / "sql" / "data_fr_12x.sql"])
    yield source
    drop_source(source)


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
    drop_source(source)

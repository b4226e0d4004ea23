"""The MantisBT database, read through PyMySQL in one read-only transaction.

Nothing here writes: the session is READ ONLY and the snapshot consistent (InnoDB), so that a
MantisBT still in use during a rehearsal gives a coherent picture. Every failure a user can cause
(wrong address, password, database, prefix, not a MantisBT schema) is a `SourceError` whose text
is French and says what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import pymysql
import pymysql.cursors

# Tables without which a database is no MantisBT worth importing.
REQUIRED = ("bug", "bug_text", "bugnote", "bugnote_text", "user", "project", "config")
# Read when present (an old or trimmed installation may lack one).
OPTIONAL = (
    "bug_file",
    "bug_history",
    "bug_monitor",
    "bug_relationship",
    "category",
    "project_user_list",
    "bug_tag",
    "custom_field_string",
    "sponsorship",
)
# What --table-prefix and --table-suffix may hold: they become part of the SQL.
AFFIX = re.compile(r"^\w*$", re.ASCII)
# MantisBT 1.2.0 is schema 182; 1.2.x ends at 183, 2.x starts at 184.
FIRST_2X_SCHEMA = 184


class SourceError(Exception):
    """A French message for the operator: the import stops before writing anything."""


@dataclass(frozen=True)
class SourceAddress:
    host: str
    port: int
    user: str
    password: str
    database: str

    @classmethod
    def parse(cls, url: str) -> SourceAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("mysql", "mariadb", "mysql+pymysql"):
            raise SourceError(
                f"Adresse de la base MantisBT non reconnue : « {url} ». Attendu : "
                "mysql://UTILISATEUR:MOT_DE_PASSE@HÔTE:PORT/BASE"
            )
        database = unquote(parts.path.lstrip("/"))
        if not database or "/" in database:
            raise SourceError(f"Nom de base manquant dans « {url} » (…/BASE à la fin).")
        try:
            port = parts.port or 3306
        except ValueError:
            raise SourceError(f"Port invalide dans « {url} ».") from None
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=port,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""),
            database=database,
        )

    def __str__(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.database}"


class MantisSource:
    """One connection, one READ ONLY transaction, table names with the installation's affixes."""

    def __init__(self, url: str, *, prefix: str = "mantis_", suffix: str = "_table") -> None:
        self.address = SourceAddress.parse(url)
        for option, value in (("--table-prefix", prefix), ("--table-suffix", suffix)):
            if not AFFIX.match(value):
                raise SourceError(
                    f"{option} « {value} » : lettres, chiffres et _ seulement (mantis_, _table)."
                )
        self.prefix, self.suffix = prefix, suffix
        try:
            self.connection = pymysql.connect(
                host=self.address.host,
                port=self.address.port,
                user=self.address.user,
                password=self.address.password,
                database=self.address.database,
                charset="utf8mb4",
                connect_timeout=10,
                read_timeout=3600,
                autocommit=False,
                cursorclass=pymysql.cursors.DictCursor,
            )
        except pymysql.err.OperationalError as error:
            raise SourceError(self._connection_message(error)) from None
        except (pymysql.err.InternalError, pymysql.err.InterfaceError) as error:
            raise SourceError(f"Base MantisBT {self.address} injoignable : {error}") from None
        with self.connection.cursor() as cursor:
            cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
            cursor.execute("START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT")
        self.tables = self._tables()
        self.version = self._check_schema()
        self.columns = {name: self._columns(name) for name in self.tables}

    def _connection_message(self, error: pymysql.err.OperationalError) -> str:
        code = error.args[0] if error.args else 0
        where = f"{self.address.host}:{self.address.port}"
        if code == 1045:
            return (
                f"Connexion à MantisBT refusée pour l'utilisateur « {self.address.user} » sur "
                f"{where} : mot de passe ou droits incorrects."
            )
        if code == 1049:
            return f"La base « {self.address.database} » n'existe pas sur {where}."
        if code in (1044, 1142):
            return (
                f"L'utilisateur « {self.address.user} » n'a pas le droit de lire la base "
                f"« {self.address.database} » (il lui faut SELECT)."
            )
        return f"Serveur MantisBT {where} injoignable ({error.args[-1] if error.args else error})."

    def table(self, name: str) -> str:
        """The quoted real name of a MantisBT table (`mantis_bug_table` by default)."""
        return f"`{self.prefix}{name}{self.suffix}`"

    def _tables(self) -> set[str]:
        with self.connection.cursor() as cursor:
            cursor.execute("SHOW TABLES")
            names = [next(iter(row.values())) for row in cursor.fetchall()]
        found = set()
        for name in names:
            if name.startswith(self.prefix) and name.endswith(self.suffix):
                found.add(name[len(self.prefix) : len(name) - len(self.suffix)])
        return found

    def _check_schema(self) -> int:
        missing = [name for name in REQUIRED if name not in self.tables]
        if missing:
            expected = ", ".join(f"{self.prefix}{name}{self.suffix}" for name in missing)
            raise SourceError(
                f"La base « {self.address.database} » n'est pas une base MantisBT (ou ses tables "
                f"ont d'autres noms) : tables absentes : {expected}. Voyez --table-prefix et "
                "--table-suffix."
            )
        rows = self.rows(
            f"SELECT value FROM {self.table('config')} "
            "WHERE config_id = 'database_version' AND project_id = 0 AND user_id = 0"
        )
        try:
            version = int(rows[0]["value"]) if rows else 0
        except (TypeError, ValueError):
            version = 0
        if version == 0:
            raise SourceError(
                "Version du schéma MantisBT introuvable (database_version absent de la table "
                "de configuration) : la base n'a pas été créée ou mise à jour par MantisBT."
            )
        date_type = self._column_type("bug", "date_submitted")
        if "int" not in date_type:
            raise SourceError(
                f"Schéma MantisBT {version} : les dates y sont encore au format {date_type} "
                "(MantisBT 1.1 ou antérieur). Mettez d'abord MantisBT à jour en 1.2 ou plus."
            )
        return version

    def _column_type(self, table: str, column: str) -> str:
        rows = self.rows(f"SHOW COLUMNS FROM {self.table(table)} LIKE %s", (column,))
        return str(rows[0]["Type"]).lower() if rows else ""

    def _columns(self, table: str) -> set[str]:
        return {row["Field"] for row in self.rows(f"SHOW COLUMNS FROM {self.table(table)}")}

    @property
    def series(self) -> str:
        return "2.x" if self.version >= FIRST_2X_SCHEMA else "1.2.x"

    def has(self, table: str, column: str | None = None) -> bool:
        if table not in self.tables:
            return False
        return column is None or column in self.columns[table]

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def count(self, table: str, where: str = "", params: Sequence[Any] = ()) -> int:
        if table not in self.tables:
            return 0
        sql = f"SELECT COUNT(*) AS n FROM {self.table(table)} {where}"
        return int(self.rows(sql, params)[0]["n"])

    def batches(
        self, select: str, key: str, size: int, params: Sequence[Any] = (), *, start: int = -1
    ) -> Iterator[list[dict[str, Any]]]:
        """Keyset pagination on `key` (an integer column, unique, indexed): memory stays one
        batch whatever the table's size. `select` holds `{after}` where `key > %s` goes."""
        last = start
        while True:
            sql = select.format(after=f"{key} > %s") + f" ORDER BY {key} LIMIT {int(size)}"
            batch = self.rows(sql, (*params, last))
            if not batch:
                return
            yield batch
            last = int(batch[-1][key.rsplit(".", 1)[-1]])

    def close(self) -> None:
        try:
            self.connection.rollback()
            self.connection.close()
        except pymysql.err.Error:
            pass

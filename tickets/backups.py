"""Backups of the portal, and their restoration: the PostgreSQL database and the attachment files.

A backup is one dated folder (`atm-support-AAAAMMJJ-HHMMSS`) holding:

- `database.dump`: the whole database, by `pg_dump --format=custom`;
- `attachments.tar`: every file of the attachment storage, read through Django's storage API,
  so the same code saves a local directory (PRIVATE_MEDIA_ROOT) or an S3 bucket;
- `manifest.json`: what was saved, from where, with which versions, and the SHA-256 of both
  files; `SHA256SUMS` repeats the sums for `sha256sum -c`.

The database is dumped first, the files after: a file is written before its row commits and only
removed long after its row is gone (tickets.orphans), so every file the dump points to is still in
the storage when the archive is made. The folder is written under a hidden name and renamed at
the end: a backup cut short is never mistaken for a complete one.

`attachments_copy` moves the files from one storage to another (local disk to an S3 bucket) under
the same names, which are the ones the rows hold.

A restoration goes into an empty database and an empty storage: checked first, refused with a
message unless forced. Both files are checked against the manifest before anything is written.
docs/operations.md gives the procedure and the drill that tests/test_backup_restore.py runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import connections
from django.utils import timezone

from atm_support import pagecache

from . import orphans

FORMAT = 1
DATABASE_FILE = "database.dump"
ATTACHMENTS_FILE = "attachments.tar"
MANIFEST_FILE = "manifest.json"
SUMS_FILE = "SHA256SUMS"
PREFIX = "atm-support-"
CHUNK = 1024 * 1024
VERSION = re.compile(r"\b(\d+)(?:\.(\d+))?")


class BackupError(Exception):
    """A backup or restoration that cannot go on; the message is for the operator, in French."""


@dataclass(frozen=True)
class Backup:
    folder: Path
    manifest: dict[str, Any]


@dataclass(frozen=True)
class Restored:
    database: str
    files: int


# --- PostgreSQL and its client programs ----------------------------------------------------------


def _settings() -> dict[str, Any]:
    connection = connections["default"]
    if connection.vendor != "postgresql":
        raise BackupError(
            "Les sauvegardes ne prennent en charge que PostgreSQL : DATABASE_URL n'est pas "
            "configurée (la base est SQLite)."
        )
    return connection.settings_dict


def _libpq_env(database: dict[str, Any]) -> dict[str, str]:
    """pg_dump and pg_restore read the connection from libpq's variables: no password in argv."""
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if database.get(key):
            env[variable] = str(database[key])
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    if database.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = str(database["OPTIONS"]["sslmode"])
    return env


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} est introuvable : installez le client PostgreSQL (paquet postgresql-client), "
            "de la version du serveur ou plus récent."
        )
    return path


def _major(version: str) -> int:
    match = VERSION.search(version)
    if match is None:
        raise BackupError(f"Version de PostgreSQL illisible : {version!r}.")
    return int(match.group(1))


def _tool_version(program: str) -> str:
    output = subprocess.run(  # noqa: S603 - a resolved path and a fixed argument
        [program, "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = VERSION.search(output)
    return match.group(0) if match else output.strip()


def _server_version() -> str:
    connection = connections["default"]
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0]).split()[0]


def _run(argv: list[str], *, env: dict[str, str], what: str) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()[-5:]
        raise BackupError(f"{what} a échoué (code {result.returncode}) : " + " ".join(detail))


def _user_tables() -> int:
    """Tables, views and sequences outside PostgreSQL's own schemas: 0 for a new database."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
              AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
            """
        )
        return int(cursor.fetchone()[0])


# --- Files -------------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def attachments_archive(*, storage: Storage, path: Path, mtime: datetime) -> int:
    """Write every file of `storage` into the tar at `path`; the number of files."""
    count = 0
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as archive:
        for name in orphans.stored_files(storage):
            with storage.open(name, "rb") as handle:
                info = tarfile.TarInfo(name)
                # The size the storage reports for the opened file (no second request on S3).
                info.size = handle.size
                info.mtime = int(mtime.timestamp())
                info.mode = 0o600
                archive.addfile(info, handle)
            count += 1
    return count


def attachments_unpack(*, storage: Storage, path: Path, replace: bool = False) -> int:
    """Write the files of the tar at `path` into `storage` under their names; the number of files.

    Members are written through the storage, never extracted to a path: a name that would leave
    the storage (absolute, `..`) is refused by the storage itself. With `replace`, a file of the
    same name is deleted first; otherwise a name the storage would change is an error.
    """
    count = 0
    with tarfile.open(path, "r") as archive:
        for member in archive:
            if member.isdir():
                continue
            if not member.isfile():
                raise BackupError(
                    f"Archive des pièces jointes : « {member.name} » n'est pas un fichier."
                )
            source: IO[bytes] | None = archive.extractfile(member)
            if source is None:  # isfile() members always have content
                continue
            try:
                if replace and storage.exists(member.name):
                    storage.delete(member.name)
                saved = storage.save(member.name, File(source, name=member.name))
            except SuspiciousFileOperation as exc:
                raise BackupError(
                    f"Archive des pièces jointes : nom refusé « {member.name} » ({exc})."
                ) from None
            if saved != member.name:
                raise BackupError(
                    f"Le stockage contient déjà « {member.name} » (enregistré sous « {saved} ») : "
                    "restaurez dans un stockage vide, ou avec --force."
                )
            count += 1
    return count


@dataclass(frozen=True)
class Copied:
    copied: int
    skipped: int
    missing: list[str]  # files that attachment rows point to, in neither storage


def attachments_copy(*, source: Storage, target: Storage) -> Copied:
    """Copy the files of `source` that `target` lacks, under the same names (disk to bucket).

    A file the target already has with the same size is left alone; with another size, it is an
    error, never overwritten. Then every file an attachment row points to must be in the target:
    the names of those that are not are returned.
    """
    copied = skipped = 0
    for name in orphans.stored_files(source):
        if target.exists(name):
            if target.size(name) != source.size(name):
                raise BackupError(
                    f"« {name} » existe déjà dans la cible avec une autre taille : rien n'est "
                    "écrasé, vérifiez ce fichier à la main."
                )
            skipped += 1
            continue
        with source.open(name, "rb") as handle:
            saved = target.save(name, handle)
        if saved != name:
            raise BackupError(f"« {name} » a été enregistré sous « {saved} » dans la cible.")
        copied += 1
    missing = sorted(name for name in orphans.referenced() if not target.exists(name))
    return Copied(copied=copied, skipped=skipped, missing=missing)


# --- Backup ------------------------------------------------------------------------------------


def backup_create(*, dest: Path, now: datetime | None = None) -> Backup:
    """Dump the database, then archive the attachments, into a new dated folder under `dest`."""
    database = _settings()
    pg_dump = _program("pg_dump")
    server_version, dump_version = _server_version(), _tool_version(pg_dump)
    if _major(dump_version) < _major(server_version):
        raise BackupError(
            f"pg_dump {dump_version} ne sait pas sauvegarder un serveur PostgreSQL "
            f"{server_version} : installez postgresql-client-{_major(server_version)}."
        )
    now = now or timezone.now()
    name = PREFIX + timezone.localtime(now).strftime("%Y%m%d-%H%M%S")
    dest.mkdir(parents=True, exist_ok=True)
    folder, partial = dest / name, dest / f".{name}.partial"
    if folder.exists():
        raise BackupError(f"Le dossier {folder} existe déjà : relancez dans une seconde.")
    shutil.rmtree(partial, ignore_errors=True)  # what an earlier interrupted run left
    partial.mkdir(mode=0o700)
    try:
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-password",
                f"--file={partial / DATABASE_FILE}",
                f"--dbname={database['NAME']}",
            ],
            env=_libpq_env(database),
            what="pg_dump",
        )
        storage = storages["default"]
        files = attachments_archive(storage=storage, path=partial / ATTACHMENTS_FILE, mtime=now)
        sums = {file: sha256(partial / file) for file in (DATABASE_FILE, ATTACHMENTS_FILE)}
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "database": {
                "file": DATABASE_FILE,
                "sha256": sums[DATABASE_FILE],
                "size": (partial / DATABASE_FILE).stat().st_size,
                "name": database["NAME"],
                "server_version": server_version,
                "pg_dump_version": dump_version,
            },
            "attachments": {
                "file": ATTACHMENTS_FILE,
                "sha256": sums[ATTACHMENTS_FILE],
                "size": (partial / ATTACHMENTS_FILE).stat().st_size,
                "files": files,
                "storage": f"{type(storage).__module__}.{type(storage).__qualname__}",
            },
        }
        (partial / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
        (partial / SUMS_FILE).write_text("".join(f"{s}  {f}\n" for f, s in sums.items()))
        partial.rename(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Backup(folder=folder, manifest=manifest)


# --- Restoration ---------------------------------------------------------------------------------


def backup_read(source: Path) -> dict[str, Any]:
    """The manifest of the backup folder `source`, once both files match their SHA-256."""
    try:
        manifest = json.loads((source / MANIFEST_FILE).read_text())
    except FileNotFoundError:
        raise BackupError(
            f"{source} n'est pas une sauvegarde : {MANIFEST_FILE} est introuvable."
        ) from None
    except ValueError:
        raise BackupError(f"{source / MANIFEST_FILE} est illisible (JSON invalide).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{source / MANIFEST_FILE} : format de sauvegarde inconnu.")
    for part in ("database", "attachments"):
        entry = manifest.get(part)
        if not isinstance(entry, dict) or Path(str(entry.get("file"))).name != entry.get("file"):
            raise BackupError(f"{source / MANIFEST_FILE} : entrée « {part} » invalide.")
        path = source / entry["file"]
        if not path.is_file():
            raise BackupError(f"Sauvegarde incomplète : {path} est introuvable.")
        if sha256(path) != entry.get("sha256"):
            raise BackupError(
                f"Sauvegarde altérée : la somme SHA-256 de {path.name} ne correspond pas au "
                "manifeste. Restaurez une autre copie."
            )
    return manifest


def backup_restore(*, source: Path, force: bool = False) -> Restored:
    """Restore the backup folder `source` into the configured database and attachment storage.

    Both must be empty (a new database from `createdb`, never migrated; an empty directory or
    bucket), unless `force`: then the database's objects are dropped and recreated from the dump
    and the files of the same name replaced. The database is restored in one transaction: if
    pg_restore fails, the database is left as it was.
    """
    manifest = backup_read(source)
    database = _settings()
    pg_restore = _program("pg_restore")
    restore_version, server_version = _tool_version(pg_restore), _server_version()
    dumped_by = str(manifest["database"].get("pg_dump_version", "0"))
    if _major(restore_version) < _major(dumped_by):
        raise BackupError(
            f"pg_restore {restore_version} ne lit pas une sauvegarde faite par pg_dump "
            f"{dumped_by} : installez postgresql-client-{_major(dumped_by)}."
        )
    if _major(server_version) < _major(str(manifest["database"].get("server_version", "0"))):
        raise BackupError(
            f"La sauvegarde vient d'un serveur PostgreSQL {manifest['database']['server_version']}"
            f" : restaurez-la sur un serveur de même version ou plus récent (ici {server_version})."
        )
    tables = _user_tables()
    if tables and not force:
        raise BackupError(
            f"La base « {database['NAME']} » n'est pas vide ({tables} tables ou séquences) : une "
            "restauration se fait dans une base neuve (createdb), sans migrate. Pour remplacer "
            "son contenu par la sauvegarde, relancez avec --force."
        )
    storage = storages["default"]
    present = next(orphans.stored_files(storage), None)
    if present is not None and not force:
        raise BackupError(
            f"Le stockage des pièces jointes n'est pas vide (il contient « {present} ») : "
            "restaurez dans un dossier ou un bucket vide, ou relancez avec --force pour "
            "remplacer les fichiers de même nom."
        )
    # pg_restore needs the database to itself (--clean drops what our own connection may lock).
    connections["default"].close()
    _run(
        [
            pg_restore,
            "--no-password",
            "--exit-on-error",
            "--single-transaction",
            # The roles of the source server need not exist here: the restoring role owns all.
            "--no-owner",
            "--no-privileges",
            *(["--clean", "--if-exists"] if tables else []),
            f"--dbname={database['NAME']}",
            str(source / manifest["database"]["file"]),
        ],
        env=_libpq_env(database),
        what="pg_restore",
    )
    files = attachments_unpack(
        storage=storage, path=source / manifest["attachments"]["file"], replace=force
    )
    if files != manifest["attachments"].get("files"):
        raise BackupError(
            f"{files} fichiers restaurés, le manifeste en annonce "
            f"{manifest['attachments'].get('files')}."
        )
    # Pages kept in a shared cache show the data before the restoration: none may be served.
    pagecache.invalidate(everyone=True)
    return Restored(database=str(database["NAME"]), files=files)

"""Stored files no row points to, and their removal.

A file is written to the storage before its row is committed (tickets.attachments): when the
transaction rolls back (a refused note, a crash), or when a ticket is deleted with its rows, the
file stays on disk, unreachable, since only the download view serves files and it starts from
the rows. `manage.py purge_orphan_files` and a nightly Celery task remove them. A grace period
leaves alone the files of uploads still in their transaction.

The attachments' folders are known here; an app above that stores files of its own (the raw
mails of notifications.inbound) adds its folders and their rows with `register`, from its
AppConfig.ready, since tickets may not import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.storage import Storage, storages
from django.utils import timezone

from .models import Attachment

GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class Orphan:
    name: str
    size: int


def stored_files(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file name under `folder` (the whole storage by default), recursively.

    Listed, not tested with exists(): an S3 bucket has no folders, only keys sharing a prefix,
    and exists("attachments") is false there however many files it holds.
    """
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:  # a local folder not created yet
        return
    prefix = f"{folder}/" if folder else ""
    for name in sorted(files):
        yield prefix + name
    for directory in sorted(directories):
        yield from stored_files(storage, prefix + directory)


def _attachment_names() -> Iterator[str]:
    for file, thumbnail in Attachment.objects.values_list("file", "thumbnail").iterator(5000):
        yield file
        if thumbnail:
            yield thumbnail


# Folders of the storage -> the names their rows point to.
_kept: dict[tuple[str, ...], Callable[[], Iterable[str]]] = {
    ("attachments", "thumbnails"): _attachment_names,  # Attachment.file / thumbnail's upload_to
}


def register(folders: tuple[str, ...], names: Callable[[], Iterable[str]]) -> None:
    """Have the sweep walk `folders` too, keeping the files `names()` lists."""
    _kept[folders] = names


def folders() -> list[str]:
    return [folder for registered in _kept for folder in registered]


def referenced() -> set[str]:
    """The names of every stored file a row points to."""
    return {name for names in _kept.values() for name in names() if name}


def find_orphans(*, older_than: timedelta = GRACE, now: datetime | None = None) -> list[Orphan]:
    """The stored files of no row, last written before now - older_than."""
    storage = storages["default"]
    cutoff = (now or timezone.now()) - older_than
    # Listed before the rows are read: a file whose row commits in between is seen referenced.
    candidates = [name for folder in folders() for name in stored_files(storage, folder)]
    known = referenced()
    return [
        Orphan(name, storage.size(name))
        for name in candidates
        if name not in known and storage.get_modified_time(name) < cutoff
    ]


def purge_orphans(*, older_than: timedelta = GRACE, now: datetime | None = None) -> list[Orphan]:
    storage = storages["default"]
    orphans = find_orphans(older_than=older_than, now=now)
    for orphan in orphans:
        storage.delete(orphan.name)
    return orphans

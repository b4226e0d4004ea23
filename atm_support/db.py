"""Database habits the apps share: append-only rows, and plain tuples inserted many at a time.

AppendOnly is the ticket history's and the hour ledger's discipline (a written row never
changes); insert_rows is the month end's and the MantisBT import's bulk INSERT. Both live in
the project package so that every app can use them without importing another app.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models


class AppendOnlyError(Exception):
    pass


class AppendOnly(models.Model):
    """A row written once, never changed nor deleted (the ticket history, the hour ledger)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(f"{self._meta.verbose_name} : une ligne écrite ne change plus.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self._meta.verbose_name} : une ligne écrite ne se supprime pas.")


INSERT_BATCH = 1000  # rows per INSERT: under SQLite's and PostgreSQL's parameter limits


def insert_rows(
    model: type[models.Model],
    fields: list[str],
    rows: list[tuple[Any, ...]],
    *,
    returning: bool = False,
    convert: bool = True,
) -> list[int]:
    """INSERT plain tuples, many rows per statement: bulk_create without a model instance per
    row, which cost more than the database itself here (tens of thousands of rows a month end,
    hundreds of thousands for the MantisBT import). Values go through each field's
    get_db_prep_save, as the ORM would; no signal, no save(). With `returning`, the new rows'
    primary keys, in the order of `rows` (PostgreSQL and SQLite 3.35+ keep it). Without
    `convert`, values go to the driver as they are (the caller knows they need nothing)."""
    if not rows:
        return []
    model_fields = [model._meta.get_field(name) for name in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(str(f.column))  # type: ignore[union-attr]
        for f in model_fields
    )
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk_column = str(model._meta.pk.column) if model._meta.pk else "id"
    suffix = f" RETURNING {connection.ops.quote_name(pk_column)}" if returning else ""
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            batch = rows[start : start + INSERT_BATCH]
            if convert:
                params = [
                    field.get_db_prep_save(value, connection)  # type: ignore[union-attr]
                    for row in batch
                    for field, value in zip(model_fields, row, strict=True)
                ]
            else:
                params = [value for row in batch for value in row]
            values = ", ".join([placeholders] * len(batch))
            # Table and column names come from the models, every value is a parameter.
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}{suffix}", params)  # noqa: S608
            if returning:
                ids.extend(int(row[0]) for row in cursor.fetchall())
    return ids

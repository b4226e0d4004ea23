"""French full-text search indexes for « Afficher les tickets » (PostgreSQL only).

GIN indexes on the very expressions tickets/search.py searches (ticket_document, note_document):
PostgreSQL only uses an expression index for an identical expression, so they are spelled out
here, frozen, and tests/tickets/test_list.py checks that the search plans use them.

The notes' index is partial (public notes only), like the search. Built CONCURRENTLY (hence a
non-atomic migration) so that a large table stays writable while it builds; a failed build leaves
an invalid index behind, which is dropped before building again. On SQLite, nothing happens: the
search falls back to icontains there. The indexes are not in the models' Meta on purpose: they are
vendor-specific, and Django's model state would otherwise try to build them on SQLite too.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import Q

CONFIG = "french"


def _indexes():
    return [
        (
            "ticket",
            GinIndex(
                SearchVector(
                    "summary",
                    "description",
                    "steps_to_reproduce",
                    "additional_information",
                    config=CONFIG,
                ),
                name="ticket_search_fr",
            ),
        ),
        (
            "note",
            GinIndex(
                SearchVector("text", config=CONFIG),
                name="note_public_search_fr",
                condition=Q(is_private=False),
            ),
        ),
    ]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in _indexes():
        model = apps.get_model("tickets", model_name)
        schema_editor.remove_index(model, index, concurrently=True)  # IF EXISTS
        schema_editor.add_index(model, index, concurrently=True)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in _indexes():
        schema_editor.remove_index(apps.get_model("tickets", model_name), index, concurrently=True)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("tickets", "0003_ticket_counter")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]

"""Accent-insensitive French search (PostgreSQL only): « reglement » finds « règlement ».

A text search configuration `french_unaccent`, a copy of `french` whose words go through the
`unaccent` dictionary before the French stemmer, for the documents and the queries alike. The
two GIN indexes of 0004/0005 are rebuilt on it under their names (tickets/search.py spells the
same expressions), CONCURRENTLY so that the tables stay writable meanwhile; searches are slower
between the drop and the end of the build. `unaccent` is a trusted extension (PostgreSQL 13+): the
database owner may create it. On SQLite, nothing happens (icontains, accents count).
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import UnaccentExtension
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import F, Q

TICKET_FIELDS = ("summary", "description", "steps_to_reproduce", "additional_information")

CREATE_CONFIG = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'french_unaccent') THEN
        CREATE TEXT SEARCH CONFIGURATION french_unaccent (COPY = french);
        ALTER TEXT SEARCH CONFIGURATION french_unaccent
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
    END IF;
END
$$;
"""


def _indexes(config):
    return [
        (
            "ticket",
            GinIndex(SearchVector(*TICKET_FIELDS, config=config), name="ticket_search_fr"),
        ),
        (
            "note",
            GinIndex(
                F("organisation"),
                SearchVector("text", config=config),
                name="note_org_public_search_fr",
                condition=Q(is_private=False),
            ),
        ),
    ]


def _rebuild(apps, schema_editor, config):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in _indexes(config):
        model = apps.get_model("tickets", model_name)
        schema_editor.remove_index(model, index, concurrently=True)  # IF EXISTS
        schema_editor.add_index(model, index, concurrently=True)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_CONFIG)
    _rebuild(apps, schema_editor, "french_unaccent")


def backwards(apps, schema_editor):
    _rebuild(apps, schema_editor, "french")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS french_unaccent")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("tickets", "0005_note_organisation_covering_indexes")]

    operations = [
        UnaccentExtension(),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]

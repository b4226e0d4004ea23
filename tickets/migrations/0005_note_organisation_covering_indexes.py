"""The cheaper SQL of bench/README.md § 5.1: covering indexes and the notes' organisation.

- `ticket_org_state` and `ticket_org_updated` become covering indexes (their `include` columns
  are ignored on SQLite), `note_billable` a partial covering index for the pending minutes.
- `Note.organisation`, the ticket's, so that the text search looks in one organisation's notes:
  added nullable and without its foreign key, filled by one UPDATE (PostgreSQL and SQLite), then
  made NOT NULL with its foreign key checked once for the whole table. Adding the constraint
  first would queue a deferred check per updated row, and PostgreSQL refuses to ALTER a table
  with pending trigger events in the same transaction.
- On PostgreSQL, `note_org_public_search_fr`: GIN over (organisation, the notes' text search
  vector) for public notes; `btree_gin` lets a GIN index hold the organisation id. As in 0004,
  the index is written here only, not in the model's Meta: it is vendor-specific, and its
  expression must stay the very one tickets/search.py queries (note_document()). It replaces
  0004's `note_public_search_fr`: a multicolumn GIN index serves a condition on any of its
  columns alone as well, so a search across organisations (staff) still uses it.

Unlike 0004, this migration is one transaction: the UPDATE rewrites every note anyway, so
building the GIN index CONCURRENTLY would not keep the table writable, and a failure leaves
nothing half done. The new indexes are built after the UPDATE, which would otherwise bloat them.
On PostgreSQL, run VACUUM ANALYZE tickets_note afterwards if autovacuum is off: the UPDATE
leaves every page not all-visible, and the index-only scans would read the table.
"""

import django.db.models.deletion
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import BtreeGinExtension
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models
from django.db.models import F, OuterRef, Q, Subquery

CONFIG = "french"


def _notes_index():
    return GinIndex(
        F("organisation"),
        SearchVector("text", config=CONFIG),
        name="note_org_public_search_fr",
        condition=Q(is_private=False),
    )


def copy_organisation(apps, schema_editor):
    Note = apps.get_model("tickets", "Note")
    Ticket = apps.get_model("tickets", "Ticket")
    ticket = Ticket.objects.filter(pk=OuterRef("ticket_id")).values("organisation_id")[:1]
    Note.objects.using(schema_editor.connection.alias).filter(organisation__isnull=True).update(
        organisation_id=Subquery(ticket)
    )


def _replaced_index():
    """0004's, of every organisation's public notes."""
    return GinIndex(
        SearchVector("text", config=CONFIG),
        name="note_public_search_fr",
        condition=Q(is_private=False),
    )


def create_notes_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    note = apps.get_model("tickets", "Note")
    schema_editor.add_index(note, _notes_index())
    schema_editor.remove_index(note, _replaced_index())


def drop_notes_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    note = apps.get_model("tickets", "Note")
    schema_editor.add_index(note, _replaced_index())
    schema_editor.remove_index(note, _notes_index())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_follow_all_tickets"),
        ("tickets", "0004_ticket_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="note",
            name="organisation",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.organisation",
                verbose_name="organisation",
            ),
        ),
        migrations.RunPython(copy_organisation, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="note",
            name="organisation",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.organisation",
                verbose_name="organisation",
            ),
        ),
        migrations.RemoveIndex(model_name="ticket", name="ticket_org_state"),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["organisation", "state", "-updated_at"],
                include=(
                    "id",
                    "number",
                    "category",
                    "priority",
                    "impact",
                    "reporter",
                    "created_at",
                ),
                name="ticket_org_state",
            ),
        ),
        migrations.RemoveIndex(model_name="ticket", name="ticket_org_updated"),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["organisation", "-updated_at", "-number"],
                include=("id", "state"),
                name="ticket_org_updated",
            ),
        ),
        migrations.AddIndex(
            model_name="note",
            index=models.Index(
                condition=models.Q(("is_billable", True), ("minutes_spent__gt", 0)),
                fields=["ticket"],
                include=("minutes_spent",),
                name="note_billable",
            ),
        ),
        BtreeGinExtension(),
        migrations.RunPython(create_notes_index, drop_notes_index, elidable=False),
    ]

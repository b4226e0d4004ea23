"""Ticket.billable_minutes: its notes' billable minutes, kept by triggers on tickets_note.

Triggers rather than code: notes are written by the workflow, the staff's change page, the
MantisBT import's multi-row INSERTs, the benchmark's COPY and the tests' factories; a trigger
sees every one of them, in the writing statement's transaction. PostgreSQL's are per statement
(its transition tables: one UPDATE of the tickets whatever the number of notes), SQLite's per
row. A change that moves no billable minute (a note's text, a non-billable note) updates no
ticket.
"""

from django.db import migrations, models

# PostgreSQL: per operation, the notes' rows that bring billable minutes (+) and take them away
# (-); a function per operation, since each sees only its own transition tables.
DELTAS = {
    "insert": "SELECT ticket_id, minutes_spent AS minutes FROM new_notes WHERE is_billable",
    "delete": "SELECT ticket_id, -minutes_spent AS minutes FROM old_notes WHERE is_billable",
    "update": (
        "SELECT ticket_id, minutes_spent AS minutes FROM new_notes WHERE is_billable "
        "UNION ALL "
        "SELECT ticket_id, -minutes_spent FROM old_notes WHERE is_billable"
    ),
}
TRANSITIONS = {
    "insert": "NEW TABLE AS new_notes",
    "delete": "OLD TABLE AS old_notes",
    "update": "OLD TABLE AS old_notes NEW TABLE AS new_notes",
}
FUNCTION = """
CREATE OR REPLACE FUNCTION tickets_note_billable_{operation}() RETURNS trigger AS $$
BEGIN
    UPDATE tickets_ticket AS t SET billable_minutes = t.billable_minutes + d.minutes
    FROM (SELECT ticket_id, SUM(minutes) AS minutes FROM ({delta}) AS c GROUP BY ticket_id) AS d
    WHERE t.id = d.ticket_id AND d.minutes <> 0;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

# SQLite: per row.
SQLITE = {
    "insert": (
        "AFTER INSERT ON tickets_note WHEN NEW.is_billable AND NEW.minutes_spent <> 0 BEGIN "
        "UPDATE tickets_ticket SET billable_minutes = billable_minutes + NEW.minutes_spent "
        "WHERE id = NEW.ticket_id; END"
    ),
    "delete": (
        "AFTER DELETE ON tickets_note WHEN OLD.is_billable AND OLD.minutes_spent <> 0 BEGIN "
        "UPDATE tickets_ticket SET billable_minutes = billable_minutes - OLD.minutes_spent "
        "WHERE id = OLD.ticket_id; END"
    ),
    "update": (
        "AFTER UPDATE OF ticket_id, minutes_spent, is_billable ON tickets_note BEGIN "
        "UPDATE tickets_ticket SET billable_minutes = billable_minutes - OLD.minutes_spent "
        "WHERE id = OLD.ticket_id AND OLD.is_billable; "
        "UPDATE tickets_ticket SET billable_minutes = billable_minutes + NEW.minutes_spent "
        "WHERE id = NEW.ticket_id AND NEW.is_billable; END"
    ),
}

FILL = """
UPDATE tickets_ticket SET billable_minutes = (
    SELECT SUM(n.minutes_spent) FROM tickets_note AS n
    WHERE n.ticket_id = tickets_ticket.id AND n.is_billable AND n.minutes_spent > 0
)
WHERE id IN (SELECT ticket_id FROM tickets_note WHERE is_billable AND minutes_spent > 0)
"""


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(FILL)
    for operation in ("insert", "delete", "update"):
        trigger = f"tickets_note_billable_{operation}"
        if vendor == "postgresql":
            schema_editor.execute(
                FUNCTION.format(operation=operation, delta=DELTAS[operation]), params=None
            )
            schema_editor.execute(
                f"CREATE TRIGGER {trigger} AFTER {operation.upper()} ON tickets_note "
                f"REFERENCING {TRANSITIONS[operation]} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {trigger}()"
            )
        elif vendor == "sqlite":
            schema_editor.execute(f"CREATE TRIGGER {trigger} {SQLITE[operation]}")


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for operation in ("insert", "delete", "update"):
        trigger = f"tickets_note_billable_{operation}"
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON tickets_note")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {trigger}()")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0015_state_counts")]

    operations = [
        migrations.RemoveIndex(model_name="ticket", name="ticket_org_state"),
        migrations.AddField(
            model_name="ticket",
            name="billable_minutes",
            field=models.PositiveIntegerField(
                default=0, editable=False, verbose_name="minutes facturables"
            ),
        ),
        migrations.RunPython(create, drop),
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
                    "is_private",
                    "billable_minutes",
                ),
                name="ticket_org_state",
            ),
        ),
    ]

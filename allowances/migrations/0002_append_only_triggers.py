"""PostgreSQL refuses to UPDATE or DELETE a ledger entry or an allowance revision.

The models refuse it too, but a trigger also stops `QuerySet.update()`, raw SQL and the shell.
TRUNCATE (the test suite's flush) is not row-level and still works. Nothing on SQLite, the
development default.
"""

from django.db import migrations

TABLES = ("allowances_ledgerentry", "allowances_allowancerevision")

FUNCTION = """
CREATE OR REPLACE FUNCTION allowances_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%: append-only table, % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)  # its % are not placeholders
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION allowances_append_only()"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS allowances_append_only()")


class Migration(migrations.Migration):
    dependencies = [("allowances", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]

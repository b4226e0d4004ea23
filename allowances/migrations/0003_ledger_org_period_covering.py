"""`ledger_org_period` covers the balance's sums (bench/README.md § 5.1): the Accueil's
SUM(minutes) with its FILTERs on period, kind and revision reads the index alone on PostgreSQL
(SQLite ignores `include`)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("allowances", "0002_append_only_triggers")]

    operations = [
        migrations.RemoveIndex(model_name="ledgerentry", name="ledger_org_period"),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(
                fields=["organisation", "period", "kind"],
                include=("minutes", "revision"),
                name="ledger_org_period",
            ),
        ),
    ]

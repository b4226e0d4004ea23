# The memos' and the last error's length limits (tickets/limits.py), in the database too.

import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models

import tickets.limits


class Migration(migrations.Migration):
    dependencies = [
        ("allowances", "0004_allowancemail_status_no_access"),
    ]

    operations = [
        migrations.AlterField(
            model_name="allowancemail",
            name="last_error",
            field=models.TextField(
                blank=True,
                max_length=2000,
                validators=[tickets.limits.TextLimit(2000)],
                verbose_name="dernière erreur",
            ),
        ),
        migrations.AlterField(
            model_name="allowancerevision",
            name="memo",
            field=models.TextField(
                blank=True,
                max_length=2000,
                validators=[tickets.limits.TextLimit(2000)],
                verbose_name="motif",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="memo",
            field=models.TextField(
                blank=True,
                max_length=2000,
                validators=[tickets.limits.TextLimit(2000)],
                verbose_name="motif",
            ),
        ),
        migrations.AddConstraint(
            model_name="allowancemail",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("last_error"), 2000
                ),
                name="allowance_mail_last_error_max_length",
                violation_error_message="Ce texte est trop long.",
            ),
        ),
        migrations.AddConstraint(
            model_name="allowancerevision",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("memo"), 2000
                ),
                name="revision_memo_max_length",
                violation_error_message="Ce texte est trop long.",
            ),
        ),
        migrations.AddConstraint(
            model_name="ledgerentry",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("memo"), 2000
                ),
                name="ledger_memo_max_length",
                violation_error_message="Ce texte est trop long.",
            ),
        ),
    ]

# The length limits of tickets/limits.py, in the database too (CHECK on the character count).

import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models

import tickets.limits


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0006_search_unaccent"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historyentry",
            name="new_value",
            field=models.TextField(
                blank=True,
                max_length=20000,
                validators=[tickets.limits.TextLimit(20000)],
                verbose_name="nouvelle valeur",
            ),
        ),
        migrations.AlterField(
            model_name="historyentry",
            name="old_value",
            field=models.TextField(
                blank=True,
                max_length=20000,
                validators=[tickets.limits.TextLimit(20000)],
                verbose_name="ancienne valeur",
            ),
        ),
        migrations.AlterField(
            model_name="note",
            name="text",
            field=models.TextField(
                help_text="20\xa0000 caractères au plus",
                max_length=20000,
                validators=[tickets.limits.TextLimit(20000)],
                verbose_name="note",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="additional_information",
            field=models.TextField(
                blank=True,
                help_text="10\xa0000 caractères au plus",
                max_length=10000,
                validators=[tickets.limits.TextLimit(10000)],
                verbose_name="informations complémentaires",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="description",
            field=models.TextField(
                help_text="20\xa0000 caractères au plus",
                max_length=20000,
                validators=[tickets.limits.TextLimit(20000)],
                verbose_name="description",
            ),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="steps_to_reproduce",
            field=models.TextField(
                blank=True,
                help_text="10\xa0000 caractères au plus",
                max_length=10000,
                validators=[tickets.limits.TextLimit(10000)],
                verbose_name="étapes pour reproduire",
            ),
        ),
        migrations.AddConstraint(
            model_name="historyentry",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("old_value"), 20000
                ),
                name="history_old_value_max_length",
                violation_error_message="Ce texte est trop long.",
            ),
        ),
        migrations.AddConstraint(
            model_name="historyentry",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("new_value"), 20000
                ),
                name="history_new_value_max_length",
                violation_error_message="Ce texte est trop long.",
            ),
        ),
        migrations.AddConstraint(
            model_name="note",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("text"), 20000
                ),
                name="note_text_max_length",
                violation_error_message="Ce texte est trop long.",
            ),
        ),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("description"), 20000
                ),
                name="ticket_description_max_length",
                violation_error_message="Ce texte est trop long.",
            ),
        ),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("steps_to_reproduce"), 10000
                ),
                name="ticket_steps_to_reproduce_max_length",
                violation_error_message="Ce texte est trop long.",
            ),
        ),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("additional_information"), 10000
                ),
                name="ticket_additional_information_max_length",
                violation_error_message="Ce texte est trop long.",
            ),
        ),
    ]

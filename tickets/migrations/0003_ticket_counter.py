from django.db import migrations


def create_counter(apps, schema_editor):
    Counter = apps.get_model("tickets", "Counter")
    Counter.objects.get_or_create(name="ticket", defaults={"value": 0})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_counter_ticket_note_historyentry_attachment_and_more")]

    operations = [migrations.RunPython(create_counter, migrations.RunPython.noop)]

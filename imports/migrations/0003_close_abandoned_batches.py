"""Every ten minutes, imports nothing has happened to for longer than the queue retries are closed."""

from django.db import migrations

NAME = "close-abandoned-imports"


def create_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME,
        defaults={
            "func": "imports.tasks.close_abandoned",
            "schedule_type": "I",  # Minutes.
            "minutes": 10,
            "repeats": -1,
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0002_error_help_text"),
        ("django_q", "__latest__"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]

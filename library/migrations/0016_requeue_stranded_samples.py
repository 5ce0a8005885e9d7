"""Every ten minutes, samples left waiting longer than the queue retries are queued again."""

from django.db import migrations

NAME = "requeue-stranded-samples"


def create_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME,
        defaults={
            "func": "library.tasks.requeue_stranded",
            "schedule_type": "I",  # Minutes.
            "minutes": 10,
            "repeats": -1,
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0015_models_move_to_their_apps"),
        ("django_q", "__latest__"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]

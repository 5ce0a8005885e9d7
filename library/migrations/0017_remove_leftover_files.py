"""Every hour, temporary files that stopped work left behind are removed."""

from django.db import migrations

NAME = "remove-leftover-files"


def create_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME,
        defaults={"func": "library.storage.remove_leftovers", "schedule_type": "H", "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0016_requeue_stranded_samples"),
        ("django_q", "__latest__"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]

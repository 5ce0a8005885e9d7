"""The library's recurring background jobs, created once by name."""

from django.db import migrations

SCHEDULES = [
    {
        "name": "purge-trash",
        "func": "library.trash.purge_expired",
        "schedule_type": "D",
    },
]


def create_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for schedule in SCHEDULES:
        Schedule.objects.update_or_create(
            name=schedule["name"],
            defaults={
                "func": schedule["func"],
                "schedule_type": schedule["schedule_type"],
                "repeats": -1,
            },
        )


def delete_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__in=[schedule["name"] for schedule in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0002_search_and_playback"),
        ("django_q", "__latest__"),
    ]

    operations = [migrations.RunPython(create_schedules, delete_schedules)]

"""Integrity check reports, and a weekly run of the checks (Sunday night, after the backup)."""

import datetime
import zoneinfo

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

NAME = "weekly-integrity-check"


def next_sunday_night() -> datetime.datetime:
    now = timezone.now().astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))
    run = now.replace(hour=4, minute=0, second=0, microsecond=0)
    run += datetime.timedelta(days=(6 - run.weekday()) % 7)
    return run if run > now else run + datetime.timedelta(days=7)


def create_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME,
        defaults={
            "func": "core.tasks.weekly_integrity_check",
            "schedule_type": "W",  # Weekly, counted from the first run.
            "repeats": -1,
            "next_run": next_sunday_night(),
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_daily_backup_schedule"),
        ("django_q", "__latest__"),
    ]

    operations = [
        migrations.CreateModel(
            name="IntegrityReport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("finished_at", models.DateTimeField(auto_now_add=True)),
                ("problems", models.PositiveIntegerField(default=0)),
                ("report", models.TextField(blank=True)),
            ],
            options={
                "ordering": ["-finished_at"],
                "indexes": [models.Index(fields=["-finished_at"], name="integrity_finished_idx")],
            },
        ),
        migrations.RunPython(create_schedule, delete_schedule),
    ]

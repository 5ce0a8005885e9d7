"""Once a day, the site backs itself up into BACKUP_ROOT and verifies the backup."""

import datetime
import zoneinfo

from django.conf import settings
from django.db import migrations
from django.utils import timezone

NAME = "daily-backup"
HOUR = 3  # A quiet time of night, in the site's time zone.


def next_quiet_hour() -> datetime.datetime:
    now = timezone.now().astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))
    run = now.replace(hour=HOUR, minute=0, second=0, microsecond=0)
    return run if run > now else run + datetime.timedelta(days=1)


def create_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME,
        defaults={
            "func": "core.tasks.daily_backup",
            "schedule_type": "D",  # Daily, counted from the first run.
            "repeats": -1,
            "next_run": next_quiet_hour(),
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_backuprecord"),
        ("django_q", "__latest__"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]

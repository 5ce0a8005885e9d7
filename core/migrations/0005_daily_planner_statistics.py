"""Once a day, the query planner's statistics are gathered again (see core.statistics)."""

import datetime
import zoneinfo

from django.conf import settings
from django.db import migrations
from django.utils import timezone

NAME = "daily-planner-statistics"
HOUR, MINUTE = 3, 30  # After the night's backup has started, in the site's time zone.


def next_run() -> datetime.datetime:
    now = timezone.now().astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))
    run = now.replace(hour=HOUR, minute=MINUTE, second=0, microsecond=0)
    return run if run > now else run + datetime.timedelta(days=1)


def create_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME,
        defaults={
            "func": "core.tasks.refresh_planner_statistics",
            "schedule_type": "D",  # Daily, counted from the first run.
            "repeats": -1,
            "next_run": next_run(),
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_integrity_reports"),
        ("django_q", "__latest__"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]

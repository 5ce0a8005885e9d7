"""The query planner's statistics: gathered after migrating, when an import ends, and daily.

SQLite keeps none by itself; these tests read what the planner believes the
sample table holds (SQLite's sqlite_stat1, PostgreSQL's pg_class.reltuples).
"""

from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django_q.models import OrmQ, Schedule

from core import statistics
from core.tasks import refresh_planner_statistics
from imports.models import Batch

# Fewer samples than PostgreSQL's autovacuum needs before it analyses by itself,
# and a different number in each test: PostgreSQL's ANALYZE writes the row
# count in place, so a rolled-back test leaves its count behind.


def planner_rows(table: str) -> int | None:
    """The row count the planner's statistics give for a table, or None without any."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return None
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
            found = cursor.fetchone()
            return int(found[0].split()[0]) if found else None
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        rows = cursor.fetchone()[0]
        return None if rows < 0 else int(rows)


def fill(make_sample, user, count: int) -> None:
    for _ in range(count):
        make_sample(user)
    assert planner_rows("library_sample") != count


def test_a_refresh_tells_the_planner_how_many_samples_there_are(make_sample, user):
    fill(make_sample, user, 37)

    statistics.refresh()

    assert planner_rows("library_sample") == 37


@pytest.mark.django_db(transaction=True)
def test_migrating_leaves_the_planner_statistics_of_the_data_it_finds(make_sample, user):
    fill(make_sample, user, 41)

    call_command("migrate", verbosity=0)

    assert planner_rows("library_sample") == 41


def test_an_import_batch_that_ends_queues_a_refresh(
    user, settings, django_capture_on_commit_callbacks
):
    if "orm" not in settings.Q_CLUSTER:
        pytest.skip("The queued task is looked for in the embedded (ORM) queue.")
    batch = Batch.objects.create(owner=user, name="drums", source="folder", total_files=1)
    OrmQ.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        batch.finish()

    queued = [task.task["func"] for task in OrmQ.objects.all()]
    assert queued == ["core.tasks.refresh_planner_statistics"]


def test_the_daily_schedule_refreshes_the_statistics(make_sample, user):
    migration = import_module("core.migrations.0005_daily_planner_statistics")
    Schedule.objects.filter(name=migration.NAME).delete()
    migration.create_schedule(apps, None)
    migration.create_schedule(apps, None)  # Running the migration again keeps one schedule.
    schedule = Schedule.objects.get(name=migration.NAME)
    assert (schedule.func, schedule.schedule_type) == (
        "core.tasks.refresh_planner_statistics",
        Schedule.DAILY,
    )
    fill(make_sample, user, 43)

    refresh_planner_statistics()

    assert planner_rows("library_sample") == 43
    migration.delete_schedule(apps, None)
    assert not Schedule.objects.filter(name=migration.NAME).exists()

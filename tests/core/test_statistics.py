"""The query planner's statistics: gathered after migrating, when an import ends, and daily.

After an import and at a start with nothing to migrate, only once the library's
size has moved a tenth from what they say.

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
from core.statistics import planner_rows
from core.tasks import refresh_planner_statistics, refresh_stale_planner_statistics
from imports.models import Batch

# Fewer committed samples than PostgreSQL's autovacuum needs before it analyses
# by itself (50), and a different number in each test: PostgreSQL's ANALYZE
# writes the row count in place, so a rolled-back test leaves its count behind.


def fill(make_sample, user, count: int) -> None:
    for _ in range(count):
        make_sample(user)
    assert planner_rows("library_sample") != count


def test_a_refresh_tells_the_planner_how_many_samples_there_are(make_sample, user):
    fill(make_sample, user, 37)

    statistics.refresh()

    assert planner_rows("library_sample") == 37


def test_after_an_import_statistics_are_gathered_once_the_library_grew_a_tenth(make_sample, user):
    fill(make_sample, user, 50)
    statistics.refresh()
    fill(make_sample, user, 5)  # 55: a tenth more, not more than that.

    assert refresh_stale_planner_statistics() is False
    assert planner_rows("library_sample") == 50

    fill(make_sample, user, 1)

    assert refresh_stale_planner_statistics() is True
    assert planner_rows("library_sample") == 56


def test_a_library_without_statistics_gets_them(make_sample, user):
    fill(make_sample, user, 3)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM sqlite_stat1")
    else:
        # PostgreSQL cannot forget a table's statistics: a count far from them is as stale.
        statistics.refresh()
        fill(make_sample, user, 4)

    assert statistics.refresh_if_stale() is True
    assert planner_rows("library_sample") == (3 if connection.vendor == "sqlite" else 7)


@pytest.mark.django_db(transaction=True)
def test_a_start_with_nothing_to_migrate_keeps_statistics_that_still_hold(make_sample, user):
    call_command("migrate", verbosity=0)
    fill(make_sample, user, 30)
    statistics.refresh()
    make_sample(user)

    call_command("migrate", verbosity=0)

    assert planner_rows("library_sample") == 30


@pytest.mark.django_db(transaction=True)
def test_a_migration_that_applies_something_refreshes_them(make_sample, user):
    call_command("migrate", verbosity=0)
    fill(make_sample, user, 20)
    statistics.refresh()
    make_sample(user)  # 21: within a tenth of what the statistics say.
    call_command("migrate", "core", "0004", verbosity=0)

    call_command("migrate", verbosity=0)

    assert planner_rows("library_sample") == 21


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
    assert queued == ["core.tasks.refresh_stale_planner_statistics"]


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


def test_samples_in_the_trash_count_as_the_statistics_count_them(make_sample, user):
    for number in range(13):
        sample = make_sample(user, is_favorite=number == 0)
        if number < 5:
            sample.move_to_trash()
    statistics.refresh()

    assert planner_rows("library_sample") == 13
    assert statistics.stale() is False

"""Every migration can be undone: all apps go to zero and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db(transaction=True)
def test_all_apps_migrate_to_zero_and_back():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    apps = sorted(executor.loader.migrated_apps)

    executor.migrate([(app, None) for app in apps])
    with connection.cursor() as cursor:
        remaining = set(connection.introspection.table_names(cursor))
    assert not {"library_sample", "kits_kitpad", "exports_export"} & remaining

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    assert {
        "library_sample",
        "library_audiofeatures",
        "kits_kitpad",
        "exports_exportitem",
    } <= tables


def test_models_and_migrations_agree(django_db_blocker):
    """No model change is missing its migration."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_adding_the_pitch_columns_keeps_every_sample_and_search_both_ways():
    before, after = (
        [("library", "0009_stored_search_vector")],
        [("library", "0010_pitch_and_corrections")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    owner = old_apps.get_model("auth", "User").objects.create(username="kept")
    old_apps.get_model("library", "Sample").objects.create(
        owner=owner, name="Kept", file="audio/kept.wav", original_filename="kept.wav",
        sha256="ab" * 32, file_size=10, format="wav", duration=1.0, sample_rate=44100,
        channels=1, category="bass", key="F", scale="minor",
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new_apps = executor.loader.project_state(after).apps
    sample = new_apps.get_model("library", "Sample").objects.get(name="Kept")
    assert (sample.key, sample.pitch_midi, sample.pitch_cents) == ("F", None, None)

    executor = MigrationExecutor(connection)
    executor.migrate(before)
    assert old_apps.get_model("library", "Sample").objects.filter(name="Kept", key="F").exists()
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    # Search still follows changes (SQLite rebuilt the table under its triggers).
    from library.models import Sample
    from library.search import search

    kept = Sample.objects.get(name="Kept")
    kept.name = "Dusty Keys"
    kept.save()
    assert list(search(Sample.objects.all(), "dusty")) == [kept]


@pytest.mark.django_db(transaction=True)
def test_dropping_the_unused_filename_preference_keeps_the_preferences_both_ways():
    before = [("library", "0013_forget_not_set_up_refusals")]
    after = [("library", "0014_drop_unused_filename_preference")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_apps.get_model("library", "UserPreference").objects.update_or_create(
        id=1, defaults={"monthly_budget": "12.5", "default_export_format": "aiff"}
    )

    for target in (after, before, executor.loader.graph.leaf_nodes()):
        executor = MigrationExecutor(connection)
        executor.migrate(target)
        apps = executor.loader.project_state(target).apps
        preferences = apps.get_model("library", "UserPreference").objects.get()
        assert (str(preferences.monthly_budget), preferences.default_export_format) == (
            "12.50000000",
            "aiff",
        )

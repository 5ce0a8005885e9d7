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

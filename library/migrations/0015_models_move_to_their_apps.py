"""Batches, vibe analyses, model prices, API usage and the preferences move to their own apps.

The tables stay where they are (the new apps' models name them), so no row
moves: Django's state forgets them here, after the new apps have taken them on.
Two things outside the schema name the old app and follow the move, both ways:
the content types (so admin history and permissions stay attached) and tasks
already waiting in the embedded queue for the functions that moved.
"""

from django.db import migrations

MOVED_MODELS = [
    ("userpreference", "core", "sitepreferences"),
    ("batch", "imports", "batch"),
    ("batchitem", "imports", "batchitem"),
    ("vibeanalysis", "vibe", "vibeanalysis"),
    ("modelprice", "vibe", "modelprice"),
    ("apiusage", "vibe", "apiusage"),
]
MOVED_TASKS = {
    "library.tasks.describe_vibe": "vibe.tasks.describe_vibe",
    "library.tasks.import_url_task": "imports.tasks.import_url_task",
}


def move_content_types(forwards: bool):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for old_model, app_label, model in MOVED_MODELS:
            source, target = ("library", old_model), (app_label, model)
            if not forwards:
                source, target = target, source
            if not ContentType.objects.filter(app_label=target[0], model=target[1]).exists():
                ContentType.objects.filter(app_label=source[0], model=source[1]).update(
                    app_label=target[0], model=target[1]
                )

    return move


def rename_queued_tasks(forwards: bool):
    renames = MOVED_TASKS if forwards else {new: old for old, new in MOVED_TASKS.items()}

    def rename(apps, schema_editor):
        # Only the embedded (ORM) queue can be reached from here; a Redis queue
        # is drained before upgrading (see the README).
        from django_q.signing import SignedPackage

        for queued in apps.get_model("django_q", "OrmQ").objects.all():
            try:
                task = SignedPackage.loads(queued.payload)
            except Exception:  # Signed with another key: the queue cannot run it either.
                continue
            if isinstance(task, dict) and task.get("func") in renames:
                task["func"] = renames[task["func"]]
                queued.payload = SignedPackage.dumps(task)
                queued.save(update_fields=["payload"])

    return rename


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0014_drop_unused_filename_preference"),
        ("core", "0001_initial"),
        ("imports", "0001_initial"),
        ("vibe", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_q", "__latest__"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="apiusage",
                    name="sample",
                ),
                migrations.RemoveField(
                    model_name="apiusage",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="batch",
                    name="owner",
                ),
                migrations.RemoveField(
                    model_name="batchitem",
                    name="batch",
                ),
                migrations.RemoveField(
                    model_name="batchitem",
                    name="sample",
                ),
                migrations.DeleteModel(
                    name="ModelPrice",
                ),
                migrations.DeleteModel(
                    name="UserPreference",
                ),
                migrations.RemoveField(
                    model_name="vibeanalysis",
                    name="sample",
                ),
                migrations.DeleteModel(
                    name="ApiUsage",
                ),
                migrations.DeleteModel(
                    name="Batch",
                ),
                migrations.DeleteModel(
                    name="BatchItem",
                ),
                migrations.DeleteModel(
                    name="VibeAnalysis",
                ),
            ]
        ),
        migrations.RunPython(move_content_types(True), move_content_types(False)),
        migrations.RunPython(rename_queued_tasks(True), rename_queued_tasks(False)),
    ]

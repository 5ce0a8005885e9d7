"""Import batches and their files, moved from the library app; the tables keep their names."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("library", "0014_drop_unused_filename_preference"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables are there already, under their old names: only Django's idea
        # of which app owns them changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Batch",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=255)),
                        (
                            "source",
                            models.CharField(
                                choices=[
                                    ("upload", "Browser upload"),
                                    ("folder", "Folder"),
                                    ("url", "URL"),
                                ],
                                max_length=8,
                            ),
                        ),
                        ("source_url", models.URLField(blank=True, max_length=2048)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Waiting"),
                                    ("running", "Importing"),
                                    ("completed", "Completed"),
                                    ("failed", "Failed"),
                                    ("cancelled", "Cancelled"),
                                ],
                                default="pending",
                                max_length=10,
                            ),
                        ),
                        ("total_files", models.PositiveIntegerField(default=0)),
                        ("processed_files", models.PositiveIntegerField(default=0)),
                        ("imported_count", models.PositiveIntegerField(default=0)),
                        ("duplicate_count", models.PositiveIntegerField(default=0)),
                        ("restored_count", models.PositiveIntegerField(default=0)),
                        ("failed_count", models.PositiveIntegerField(default=0)),
                        (
                            "error",
                            models.TextField(
                                blank=True, help_text="Why the whole batch failed, if it did."
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "owner",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="batches",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "batches",
                        "db_table": "library_batch",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="BatchItem",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "path",
                            models.CharField(
                                help_text="The file's path within the import.", max_length=1024
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Waiting"),
                                    ("imported", "Imported"),
                                    ("duplicate", "Already in the library"),
                                    ("restored", "Restored from the trash"),
                                    ("failed", "Failed"),
                                ],
                                default="pending",
                                max_length=10,
                            ),
                        ),
                        ("error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "batch",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="items",
                                to="imports.batch",
                            ),
                        ),
                        (
                            "sample",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="batch_items",
                                to="library.sample",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "library_batchitem",
                        "ordering": ["id"],
                    },
                ),
                migrations.AddIndex(
                    model_name="batch",
                    index=models.Index(fields=["owner", "-created_at"], name="batch_owner_created"),
                ),
                migrations.AddIndex(
                    model_name="batch",
                    index=models.Index(fields=["status"], name="batch_status"),
                ),
                migrations.AddConstraint(
                    model_name="batch",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("source__in", ["upload", "folder", "url"])),
                        name="batch_source_valid",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="batch",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            (
                                "status__in",
                                ["pending", "running", "completed", "failed", "cancelled"],
                            )
                        ),
                        name="batch_status_valid",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="batch",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("source", "url"), _negated=True),
                            models.Q(("source_url", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="batch_url_has_address",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="batch",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("processed_files__lte", models.F("total_files"))),
                        name="batch_processed_within_total",
                    ),
                ),
                migrations.AddIndex(
                    model_name="batchitem",
                    index=models.Index(fields=["batch", "status"], name="batch_item_batch_status"),
                ),
                migrations.AddConstraint(
                    model_name="batchitem",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            (
                                "status__in",
                                ["pending", "imported", "duplicate", "restored", "failed"],
                            )
                        ),
                        name="batch_item_status_valid",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="batchitem",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "failed"), _negated=True),
                            models.Q(("error", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="batch_item_failure_explained",
                    ),
                ),
            ],
        ),
    ]

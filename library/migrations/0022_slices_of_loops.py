"""Slices: samples that are a frame range of a loop's file, and the onsets to cut them at.

A slice shares its loop's stored file and hash, so the per-owner uniqueness
of content now holds for stored files only (rows without a parent). Going
back refuses while slices exist: the older schema cannot hold them, and
deleting them would take them off their kits' pads.

On SQLite the new constraints rebuild the sample table, which drops the
search triggers; they are put back after, in both directions (this
migration's own copy of them, as 0010 has).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FTS_TABLE = "library_sample_search"
TRIGGERS = [
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_insert",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_update",
    f"""CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON library_sample BEGIN
        INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    f"""CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON library_sample BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    END""",
    f"""CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF search_text ON library_sample BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
]


def restore_search_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in TRIGGERS:
            schema_editor.execute(statement)


def refuse_while_slices_exist(apps, schema_editor):
    slices = apps.get_model("library", "Sample").objects.filter(parent__isnull=False).count()
    if slices:
        raise RuntimeError(
            f"{slices} slices of loops exist; the schema before 0022 cannot hold them. "
            "Delete them first (the chop editor, or the admin) to go back."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0021_rating_order_index_on_postgresql"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_search_triggers),
        migrations.RemoveConstraint(
            model_name="sample",
            name="sample_unique_content",
        ),
        migrations.AddField(
            model_name="audiofeatures",
            name="onset_times",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="[seconds, strength 0..1] of each attack, for chopping.",
            ),
        ),
        migrations.AddField(
            model_name="sample",
            name="end_frame",
            field=models.PositiveIntegerField(
                blank=True, help_text="The frame after a slice's last one.", null=True
            ),
        ),
        migrations.AddField(
            model_name="sample",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="The loop this slice is cut from.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="slices",
                to="library.sample",
            ),
        ),
        migrations.AddField(
            model_name="sample",
            name="start_frame",
            field=models.PositiveIntegerField(
                blank=True, help_text="A slice's first frame in its loop's file.", null=True
            ),
        ),
        migrations.AddIndex(
            model_name="sample",
            index=models.Index(
                condition=models.Q(("parent__isnull", False)),
                fields=["parent", "start_frame"],
                name="sample_slices",
            ),
        ),
        migrations.AddConstraint(
            model_name="sample",
            constraint=models.UniqueConstraint(
                condition=models.Q(("parent__isnull", True)),
                fields=("owner", "sha256"),
                name="sample_unique_content",
            ),
        ),
        migrations.AddConstraint(
            model_name="sample",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("end_frame__isnull", True),
                        ("parent__isnull", True),
                        ("start_frame__isnull", True),
                    ),
                    models.Q(
                        ("end_frame__gt", models.F("start_frame")),
                        ("parent__isnull", False),
                        ("start_frame__gte", 0),
                    ),
                    _connector="OR",
                ),
                name="sample_slice_range",
            ),
        ),
        migrations.RunPython(restore_search_triggers, refuse_while_slices_exist),
    ]

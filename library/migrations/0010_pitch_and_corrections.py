"""The note of pitched one-shots, and an index over the user's category corrections.

On SQLite the check constraints rebuild the sample table, which drops the
search triggers; they are put back after, in both directions (this
migration's own copy of them: the index itself stays right, since the rows are
copied unchanged with their ids).
"""

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


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0009_stored_search_vector"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Undone last: the constraints' removal rebuilds the table once more.
        migrations.RunPython(migrations.RunPython.noop, restore_search_triggers),
        migrations.AddField(
            model_name="sample",
            name="pitch_cents",
            field=models.SmallIntegerField(
                blank=True, help_text="How far the note sits off equal temperament.", null=True
            ),
        ),
        migrations.AddField(
            model_name="sample",
            name="pitch_midi",
            field=models.PositiveSmallIntegerField(
                blank=True, help_text="The note of a pitched one-shot, as a MIDI number.", null=True
            ),
        ),
        migrations.AddIndex(
            model_name="sample",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["owner", "pitch_midi"],
                name="sample_live_pitch_midi",
            ),
        ),
        migrations.AddIndex(
            model_name="sample",
            index=models.Index(
                condition=models.Q(("category_set_by_user", True), ("deleted_at__isnull", True)),
                fields=["owner", "kind"],
                name="sample_live_corrected",
            ),
        ),
        migrations.AddConstraint(
            model_name="sample",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("pitch_midi__isnull", True),
                    models.Q(("pitch_midi__gte", 0), ("pitch_midi__lte", 127)),
                    _connector="OR",
                ),
                name="sample_pitch_midi_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="sample",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("pitch_cents__isnull", True), ("pitch_midi__isnull", True)),
                    models.Q(
                        ("pitch_cents__isnull", False),
                        ("pitch_midi__isnull", False),
                        ("pitch_cents__gte", -50),
                        ("pitch_cents__lte", 50),
                    ),
                    _connector="OR",
                ),
                name="sample_pitch_cents_with_note",
            ),
        ),
        migrations.RunPython(restore_search_triggers, migrations.RunPython.noop),
    ]

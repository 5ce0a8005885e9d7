"""Full-text search and playback: each sample's search document and the database's index of it.

The code this migration runs is its own copy of the app's (the search
document as it is built today, moods included): a later change to the app's
search must not rewrite what this step does.
"""

import re

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import migrations, models

FTS_TABLE = "library_sample_search"
CATEGORY_WORDS = {
    "closed_hat": "closed hat hihat",
    "open_hat": "open hat hihat",
    "keys": "keys chords",
    "drum_loop": "drum loop drums",
    "melodic_loop": "melodic loop",
    "bass_loop": "bass loop",
    "vocal_loop": "vocal loop",
}
SQLITE_SETUP = [
    f"""CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(
        search_text, content='library_sample', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    )""",
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
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]
SQLITE_TEARDOWN = [
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_insert",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_update",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]
POSTGRES_SETUP = [
    """CREATE INDEX sample_search_text_gin ON library_sample
        USING gin (to_tsvector('simple'::regconfig, COALESCE(search_text, '')))"""
]
POSTGRES_TEARDOWN = ["DROP INDEX IF EXISTS sample_search_text_gin"]


def words(text: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text or "")
    spaced = re.sub(r"([A-Za-z])(\d)|(\d)([A-Za-z])", r"\1\3 \2\4", spaced)
    return re.findall(r"\w+", spaced.lower().replace("_", " "))


def document(sample, tag_names) -> str:
    try:
        vibe = sample.vibe
        moods = [vibe.mood_primary, vibe.mood_secondary, *map(str, vibe.texture_tags or [])]
    except ObjectDoesNotExist:
        moods = []
    parts = [
        sample.name,
        sample.original_filename,
        sample.source_path,
        sample.description,
        " ".join(tag_names),
        CATEGORY_WORDS.get(sample.category, sample.category),
        "loop" if sample.kind == "loop" else ("one shot" if sample.kind else ""),
        sample.genre,
        " ".join(moods),
    ]
    return " ".join(dict.fromkeys(word for part in parts for word in words(part)))


def run(statements):
    def apply(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


def fill_search_text(apps, schema_editor):
    Sample = apps.get_model("library", "Sample")
    SampleTag = apps.get_model("library", "SampleTag")
    for sample in Sample.objects.iterator():
        names = SampleTag.objects.filter(sample=sample).values_list("tag__name", flat=True)
        sample.search_text = document(sample, list(names))
        sample.save(update_fields=["search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="sample",
            name="last_played_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="sample",
            name="preview",
            field=models.FileField(
                blank=True,
                help_text="Browser-playable copy, when the original is not.",
                max_length=255,
                upload_to="",
            ),
        ),
        migrations.AddField(
            model_name="sample",
            name="search_text",
            field=models.TextField(blank=True, editable=False, help_text="What search matches."),
        ),
        migrations.AddIndex(
            model_name="sample",
            index=models.Index(fields=["owner", "-last_played_at"], name="sample_owner_played"),
        ),
        migrations.AddIndex(
            model_name="sample",
            index=models.Index(fields=["owner", "is_favorite"], name="sample_owner_favorite"),
        ),
        migrations.AddIndex(
            model_name="sample",
            index=models.Index(fields=["owner", "rating"], name="sample_owner_rating"),
        ),
        migrations.AddIndex(
            model_name="sample",
            index=models.Index(fields=["owner", "source_path"], name="sample_owner_folder"),
        ),
        migrations.AddIndex(
            model_name="sample",
            index=models.Index(fields=["owner", "genre"], name="sample_owner_genre"),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
        migrations.RunPython(
            run({"sqlite": SQLITE_SETUP, "postgresql": POSTGRES_SETUP}),
            run({"sqlite": SQLITE_TEARDOWN, "postgresql": POSTGRES_TEARDOWN}),
        ),
    ]

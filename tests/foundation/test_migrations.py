"""Every migration can be undone: all apps go to zero and back."""

from decimal import Decimal

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

    latest = executor.loader.graph.leaf_nodes()
    for target, model in ((after, "library.UserPreference"), (before, "library.UserPreference"),
                          (latest, "core.SitePreferences")):  # fmt: skip
        executor = MigrationExecutor(connection)
        executor.migrate(target)
        apps = executor.loader.project_state(target).apps
        preferences = apps.get_model(model).objects.get()
        assert (str(preferences.monthly_budget), preferences.default_export_format) == (
            "12.50000000",
            "aiff",
        )


BEFORE_THE_SPLIT = [
    ("library", "0014_drop_unused_filename_preference"),
    ("core", None),
    ("imports", None),
    ("vibe", None),
]
# Where each moved model lived before the split, and where it lives after.
MOVED = {
    ("library", "UserPreference"): ("core", "SitePreferences"),
    ("library", "Batch"): ("imports", "Batch"),
    ("library", "BatchItem"): ("imports", "BatchItem"),
    ("library", "VibeAnalysis"): ("vibe", "VibeAnalysis"),
    ("library", "ModelPrice"): ("vibe", "ModelPrice"),
    ("library", "ApiUsage"): ("vibe", "ApiUsage"),
}


def fill_every_table(user, make_sample, make_features):
    """One row or more in every table of the project's apps, written with today's models."""
    from django_q.tasks import async_task

    from core.models import SitePreferences
    from exports.models import Export, ExportItem
    from imports.models import Batch, BatchItem
    from kits.models import Kit, KitPad, KitPadRemoval
    from library.models import DuplicateScan
    from vibe.models import ApiUsage, ModelPrice, VibeAnalysis

    sample = make_sample(user, name="Kept Kick")
    make_features(sample)
    sample.add_tag("dusty")
    VibeAnalysis.objects.create(sample=sample, model="m", mood_primary="Dark")
    batch = Batch.objects.create(owner=user, name="b", source="folder", total_files=1)
    BatchItem.objects.create(batch=batch, path="kick.wav", sample=sample, status="imported")
    DuplicateScan.objects.create(owner=user)
    preferences = SitePreferences.load()
    preferences.monthly_budget = Decimal("12.5")
    preferences.save()
    ModelPrice.objects.create(
        model="m", prompt_price_per_million=Decimal(1), completion_price_per_million=Decimal(2)
    )
    ApiUsage.objects.create(model="m", cost=Decimal("0.001"), operation="single", user=user)
    kit = Kit.objects.create(owner=user, name="Kit")
    KitPad.objects.create(kit=kit, bank="A", pad_number=1, sample=sample)
    KitPadRemoval.objects.create(kit=kit, bank="A", pad_number=2, sample_name="Gone")
    export = Export.objects.create(owner=user, name="e", source="selection")
    ExportItem.objects.create(export=export, sample=sample, output_name="e/KICK.wav")
    async_task("vibe.tasks.describe_vibe", sample.pk, "single")  # Waits in the ORM queue.


# Bookkeeping that later migrations add to and take away from on their own.
NOT_COUNTED = {"django_migrations", "django_q_schedule"}
# SQLite's full-text index keeps its pages in tables of its own; rewriting the
# documents (library 0018) changes how many pages there are, not the samples.
FTS_PAGES = "library_sample_search_"


def row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = {}
        for table in tables:
            if (
                table.split("_")[0] in {"library", "kits", "exports", "django"}
                and table not in NOT_COUNTED
                and not table.startswith(FTS_PAGES)
            ):
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
                counts[table] = cursor.fetchone()[0]
    return counts


def queued_functions() -> list[str]:
    from django_q.models import OrmQ

    return [queued.task["func"] for queued in OrmQ.objects.all()]


def content_type_apps() -> set[str]:
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    moved = [name.lower() for _, name in MOVED] + [name.lower() for _, name in MOVED.values()]
    return set(ContentType.objects.filter(model__in=moved).values_list("app_label", flat=True))


@pytest.mark.django_db(transaction=True)
def test_the_split_into_apps_keeps_every_row_both_ways(user, make_sample, make_features, settings):
    if "orm" not in settings.Q_CLUSTER:
        pytest.skip("The queued task is looked for in the embedded (ORM) queue.")
    fill_every_table(user, make_sample, make_features)
    counts = row_counts()
    project_tables = [t for t in counts if not t.startswith("django_") and "search" not in t]
    assert all(counts[table] for table in project_tables), counts
    assert queued_functions() == ["vibe.tasks.describe_vibe"]

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_THE_SPLIT)
    old = executor.loader.project_state(BEFORE_THE_SPLIT[0]).apps
    assert row_counts() == counts
    assert old.get_model("library", "UserPreference").objects.get().monthly_budget == 12.5
    assert old.get_model("library", "BatchItem").objects.get().batch.name == "b"
    assert old.get_model("library", "VibeAnalysis").objects.get().sample.name == "Kept Kick"
    assert content_type_apps() == {"library"}
    assert queued_functions() == ["library.tasks.describe_vibe"]

    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(latest)
    new = executor.loader.project_state(latest).apps
    assert row_counts() == counts
    for (old_app, old_name), (app, name) in MOVED.items():
        model = new.get_model(app, name)
        assert model.objects.count() == old.get_model(old_app, old_name).objects.count() >= 1
    assert new.get_model("vibe", "ApiUsage").objects.get().user.username == user.username
    assert content_type_apps() == {"core", "imports", "vibe"}
    assert queued_functions() == ["vibe.tasks.describe_vibe"]


@pytest.mark.django_db(transaction=True)
def test_marking_name_words_for_search_keeps_every_sample_both_ways():
    before, after = (
        [("library", "0017_remove_leftover_files")],
        [("library", "0018_search_marks_name_words")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    owner = old_apps.get_model("auth", "User").objects.create(username="kept")
    Sample = old_apps.get_model("library", "Sample")
    for number in range(3):
        Sample.objects.create(
            owner=owner, name=f"Warm Pad {number}", file=f"audio/{number}.wav",
            original_filename=f"warm{number}.wav", sha256=f"{number:064x}", file_size=10,
            format="wav", duration=1.0, sample_rate=44100, channels=1,
            search_text=f"warm pad {number} keys",
        )  # fmt: skip
    for name, text in [("", ""), ("Hit", "hit pad")]:  # the newest holds "pad" outside its name
        Sample.objects.create(
            owner=owner, name=name, file=f"audio/{name}.wav", original_filename="x.wav",
            sha256=f"{name:x>64}", file_size=10, format="wav", duration=1.0, sample_rate=44100,
            channels=1, search_text=text,
        )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    from library.models import Sample as CurrentSample
    from library.search import BestMatch

    texts = dict(CurrentSample.objects.values_list("name", "search_text"))
    assert texts["Warm Pad 1"] == "warm pad 1 keys 0nwarm 0npad 0n1"
    assert texts[""] == ""
    everything = CurrentSample.objects.all()
    # Ids only: today's model has columns that later migrations add.
    ids = dict(everything.values_list("name", "pk"))
    named = [ids[f"Warm Pad {number}"] for number in (2, 1, 0)]
    assert BestMatch(everything, "pad").ids(0, 10) == [*named, ids["Hit"]]

    executor = MigrationExecutor(connection)
    executor.migrate(before)
    texts = dict(Sample.objects.values_list("name", "search_text"))
    assert texts["Warm Pad 1"] == "warm pad 1 keys"
    assert Sample.objects.count() == 5
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_slices_migration_keeps_every_sample_and_refuses_to_go_back_over_slices():
    before, after = (
        [("library", "0021_rating_order_index_on_postgresql")],
        [("library", "0022_slices_of_loops")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    owner = old_apps.get_model("auth", "User").objects.create(username="kept")
    old_apps.get_model("library", "Sample").objects.create(
        owner=owner, name="Amen Loop", file="audio/amen.wav", original_filename="amen.wav",
        sha256="cd" * 32, file_size=10, format="wav", duration=2.0, sample_rate=44100,
        channels=1, search_text="amen loop",
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    from library.models import Sample
    from library.search import search

    loop = Sample.objects.get(name="Amen Loop")
    assert (loop.parent, loop.start_frame, loop.end_frame) == (None, None, None)
    values = {"owner": loop.owner, "file": loop.file.name, "original_filename": "amen.wav",
              "sha256": loop.sha256, "file_size": 5, "format": "wav", "sample_rate": 44100,
              "channels": 1}  # fmt: skip
    part = Sample.objects.create(
        name="Amen Loop s01", parent=loop, start_frame=0, end_frame=44100, duration=1.0, **values
    )
    assert list(search(Sample.objects.all(), "s01")) == [part]  # the search triggers survived

    executor = MigrationExecutor(connection)
    with pytest.raises(RuntimeError, match="1 slices of loops exist"):
        executor.migrate(before)
    part.delete()
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    assert old_apps.get_model("library", "Sample").objects.filter(name="Amen Loop").count() == 1
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert list(search(Sample.objects.all(), "amen")) == [loop]


@pytest.mark.django_db(transaction=True)
def test_the_category_and_genre_indexes_keep_every_sample_both_ways():
    before, after = (
        [("library", "0022_slices_of_loops")],
        [("library", "0024_genre_in_the_newest_order")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    owner = old_apps.get_model("auth", "User").objects.create(username="kept")
    old_apps.get_model("library", "Sample").objects.create(
        owner=owner, name="Deep Kick", file="audio/kick.wav", original_filename="kick.wav",
        sha256="ef" * 32, file_size=10, format="wav", duration=0.5, sample_rate=44100,
        channels=1, search_text="deep kick", category="kick", kind="one-shot",
    )  # fmt: skip

    def indexes():
        with connection.cursor() as cursor:
            return set(connection.introspection.get_constraints(cursor, "library_sample"))

    assert "sample_live_category_id" in indexes()
    for target in (after, before, after):
        executor = MigrationExecutor(connection)
        executor.migrate(target)
        assert (
            old_apps.get_model("library", "Sample")
            .objects.filter(name="Deep Kick", category="kick", kind="one-shot")
            .count()
            == 1
        )
        assert ("sample_live_category_id_kind" in indexes()) == (target == after)
        assert ("sample_live_genre_lower_newest" in indexes()) == (target == after)
        assert ("sample_live_category_id" in indexes()) == (target == before)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    from library.models import Sample
    from library.search import search

    assert list(search(Sample.objects.all(), "kick")) == list(
        Sample.objects.filter(name="Deep Kick")
    )


@pytest.mark.django_db(transaction=True)
def test_project_export_fields_keep_every_export_and_pad_both_ways():
    library = ("library", "0022_slices_of_loops")
    before = [
        ("exports", "0004_export_folder_signature"),
        ("kits", "0003_constraint_messages"),
        library,
    ]
    after = [("exports", "0005_project_exports"), ("kits", "0004_pad_chop_marks"), library]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    owner = old.get_model("auth", "User").objects.create(username="kept")
    sample = old.get_model("library", "Sample").objects.create(
        owner=owner, name="Kept Kick", file="audio/kick.wav", original_filename="kick.wav",
        sha256="ef" * 32, file_size=10, format="wav", duration=1.0, sample_rate=44100, channels=1,
    )  # fmt: skip
    kit = old.get_model("kits", "Kit").objects.create(owner=owner, name="Kept Kit", tempo_bpm=90)
    old.get_model("kits", "KitPad").objects.create(
        kit=kit, bank="A", pad_number=13, sample=sample, volume=99
    )
    old.get_model("exports", "Export").objects.create(
        owner=owner, name="Kept Export", source="kit", kit=kit, sample_rate=44100, bit_depth=24
    )

    for target in (after, before, executor.loader.graph.leaf_nodes()):
        executor = MigrationExecutor(connection)
        executor.migrate(target)
        apps = executor.loader.project_state(target).apps
        pad = apps.get_model("kits", "KitPad").objects.get()
        export = apps.get_model("exports", "Export").objects.get()
        assert (pad.volume, pad.sample.name, export.name, export.sample_rate) == (
            99, "Kept Kick", "Kept Export", 44100,
        )  # fmt: skip
        if target != before:
            assert (pad.chop_marks, export.project, export.project_folder) == (False, False, "")

"""The database itself rejects rows that break the model's rules."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError

from core.models import SitePreferences
from exports.models import Export, ExportItem
from imports.models import Batch, BatchItem
from kits.models import Kit, KitPad
from library.models import Sample, Tag
from vibe.models import ApiUsage, VibeAnalysis

pytestmark = pytest.mark.django_db


def rejected(create):
    """True when the database refuses the row."""
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


@pytest.fixture
def kit(user):
    return Kit.objects.create(owner=user, name="Boom bap")


@pytest.fixture
def sample(user, make_sample):
    return make_sample(user)


def test_pad_in_bank_k_is_rejected(kit, sample):
    assert rejected(lambda: KitPad.objects.create(kit=kit, bank="K", pad_number=1, sample=sample))


@pytest.mark.parametrize("pad_number", [0, 17])
def test_pad_number_outside_1_to_16_is_rejected(kit, sample, pad_number):
    assert rejected(
        lambda: KitPad.objects.create(kit=kit, bank="A", pad_number=pad_number, sample=sample)
    )


def test_valid_pads_at_the_edges_are_accepted(kit, sample):
    KitPad.objects.create(kit=kit, bank="A", pad_number=1, sample=sample)
    KitPad.objects.create(kit=kit, bank="J", pad_number=16, sample=sample, volume=0, pitch=-12)
    assert kit.pads.count() == 2


def test_second_sample_on_the_same_pad_is_rejected(kit, sample, make_sample, user):
    KitPad.objects.create(kit=kit, bank="B", pad_number=5, sample=sample)
    other = make_sample(user)
    assert rejected(lambda: KitPad.objects.create(kit=kit, bank="B", pad_number=5, sample=other))


@pytest.mark.parametrize(("field", "value"), [("volume", 128), ("pitch", 13), ("pitch", -13)])
def test_pad_volume_and_pitch_stay_in_the_units_range(kit, sample, field, value):
    assert rejected(
        lambda: KitPad.objects.create(
            kit=kit, bank="A", pad_number=2, sample=sample, **{field: value}
        )
    )


@pytest.mark.parametrize(
    "field", ["energy", "danceability", "acousticness", "instrumentalness", "confidence"]
)
def test_vibe_values_above_one_are_rejected(sample, field):
    assert rejected(lambda: VibeAnalysis.objects.create(sample=sample, model="m", **{field: 1.5}))


def test_negative_energy_is_rejected(sample):
    assert rejected(lambda: VibeAnalysis.objects.create(sample=sample, model="m", energy=-0.1))


def test_a_second_preferences_row_is_rejected():
    SitePreferences.load()
    assert rejected(lambda: SitePreferences.objects.create(id=2))
    assert SitePreferences.objects.count() == 1


def test_preferences_load_returns_the_same_row():
    first = SitePreferences.load()
    first.monthly_budget = Decimal("12.5")
    first.save()
    assert SitePreferences.load().monthly_budget == Decimal("12.5")


def test_same_content_twice_for_one_user_is_rejected(user, make_sample):
    make_sample(user, sha256="a" * 64)
    assert rejected(lambda: make_sample(user, sha256="a" * 64))


def test_same_content_for_two_users_is_allowed(user, other_user, make_sample):
    make_sample(user, sha256="b" * 64)
    make_sample(other_user, sha256="b" * 64)
    assert Sample.objects.filter(sha256="b" * 64).count() == 2


@pytest.mark.parametrize(
    "fields",
    [
        {"key": "C"},
        {"scale": "minor"},
        {"key": "H", "scale": "major"},
        {"rating": 6},
        {"tempo_bpm": 5.0},
        {"status": "done"},
        {"category": "banjo"},
        {"kind": "drone"},
        {"sha256": ""},
    ],
)
def test_sample_rows_with_impossible_values_are_rejected(user, make_sample, fields):
    assert rejected(lambda: make_sample(user, **fields))


def test_tag_names_are_unique_per_user_ignoring_case(user, other_user):
    Tag.objects.create(owner=user, name="dusty")
    assert rejected(lambda: Tag.objects.create(owner=user, name="Dusty"))
    Tag.objects.create(owner=other_user, name="Dusty")


def test_failed_batch_item_must_say_why(user):
    batch = Batch.objects.create(owner=user, name="x", source="folder", total_files=1)
    assert rejected(lambda: BatchItem.objects.create(batch=batch, path="a.wav", status="failed"))
    BatchItem.objects.create(batch=batch, path="a.wav", status="failed", error="Not audio.")


def test_url_batch_needs_an_address(user):
    assert rejected(lambda: Batch.objects.create(owner=user, name="x", source="url"))


def test_batch_progress_cannot_pass_its_total(user):
    assert rejected(
        lambda: Batch.objects.create(
            owner=user, name="x", source="folder", total_files=2, processed_files=3
        )
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"sample_rate": 22050},
        {"bit_depth": 32},
        {"format": "mp3"},
        {"destination": "folder", "output_path": ""},
        {"organisation": "tree"},
    ],
)
def test_export_rows_with_impossible_values_are_rejected(user, fields):
    values = {"owner": user, "name": "e", "source": "selection", **fields}
    assert rejected(lambda: Export.objects.create(**values))


def test_export_item_names_are_unique_within_an_export(user):
    export = Export.objects.create(owner=user, name="e", source="selection")
    ExportItem.objects.create(export=export, output_name="e/KICK.wav")
    assert rejected(lambda: ExportItem.objects.create(export=export, output_name="e/KICK.wav"))


def test_api_usage_cost_keeps_eight_decimal_places(user):
    ApiUsage.objects.create(model="m", operation="single", cost=Decimal("0.00000123"), user=user)
    assert ApiUsage.objects.get().cost == Decimal("0.00000123")
    assert rejected(lambda: ApiUsage.objects.create(model="m", operation="single", cost=-1))


def test_kit_names_are_unique_per_owner(user):
    Kit.objects.create(owner=user, name="Dusty")
    assert rejected(lambda: Kit.objects.create(owner=user, name="Dusty"))


def test_deleting_a_sample_on_a_pad_is_blocked(kit, sample):
    KitPad.objects.create(kit=kit, bank="A", pad_number=1, sample=sample)
    with pytest.raises((RestrictedError, ProtectedError)):
        sample.delete()
    assert Sample.objects.filter(pk=sample.pk).exists()


def test_deleting_a_user_removes_their_samples_kits_and_pads(user, kit, sample):
    KitPad.objects.create(kit=kit, bank="A", pad_number=1, sample=sample)
    ApiUsage.objects.create(model="m", operation="single", user=user, sample=sample)
    user.delete()
    assert not Sample.objects.exists()
    assert not Kit.objects.exists()
    assert not KitPad.objects.exists()
    # Spending records survive, detached, so the month's total stays true.
    usage = ApiUsage.objects.get()
    assert usage.user_id is None
    assert usage.sample_id is None


def test_export_history_survives_a_purged_sample(user, sample):
    export = Export.objects.create(owner=user, name="e", source="selection")
    ExportItem.objects.create(export=export, sample=sample, output_name="e/A.wav")
    sample.delete()
    assert ExportItem.objects.get().sample_id is None


def test_user_corrections_are_recorded_as_the_users(sample):
    changed = sample.set_by_user(tempo_bpm=92.0, key="A", scale="minor")
    sample.save()
    sample.refresh_from_db()
    assert sample.tempo_set_by_user
    assert sample.key_set_by_user
    assert not sample.category_set_by_user
    assert set(changed) == {"tempo_bpm", "tempo_set_by_user", "key", "scale", "key_set_by_user"}

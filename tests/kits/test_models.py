"""Kit model rules: database constraints and the pad operations on the model."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kits.grid import KitLayout
from kits.models import Kit, KitPad, KitPadRemoval
from library.models import Sample

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields",
    [
        {"bank": "K", "pad_number": 1},
        {"bank": "A", "pad_number": 0},
        {"bank": "A", "pad_number": 17},
        {"bank": "A", "pad_number": 1, "volume": 128},
        {"bank": "A", "pad_number": 1, "pitch": 13},
        {"bank": "A", "pad_number": 1, "pitch": -13},
    ],
)
def test_database_refuses_impossible_pads(kit, make_sample, user, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        KitPad.objects.create(kit=kit, sample=make_sample(user), **fields)


def test_database_refuses_two_samples_on_one_pad(kit, make_sample, user):
    KitPad.objects.create(kit=kit, bank="A", pad_number=1, sample=make_sample(user))
    with pytest.raises(IntegrityError), transaction.atomic():
        KitPad.objects.create(kit=kit, bank="A", pad_number=1, sample=make_sample(user))


def test_database_refuses_duplicate_kit_names_per_owner(kit, user, other_user):
    Kit.objects.create(owner=other_user, name=kit.name)  # another owner may
    with pytest.raises(IntegrityError), transaction.atomic():
        Kit.objects.create(owner=user, name=kit.name)


def test_sample_on_a_pad_cannot_be_deleted_directly(kit, make_sample, user):
    sample = make_sample(user)
    kit.assign("A", 1, sample)
    with pytest.raises(IntegrityError), transaction.atomic():
        sample.delete()


def test_assign_creates_then_replaces_with_default_options(kit, library):
    pad = kit.assign("B", 13, library["kick"])
    assert (pad.volume, pad.pitch, pad.gate, pad.loop, pad.reverse) == (127, 0, False, False, False)
    kit.assign("B", 13, library["kick2"])
    assert list(kit.pads.values_list("bank", "pad_number", "sample__name")) == [
        ("B", 13, "Kick Punchy")
    ]


def test_assign_refuses_other_users_and_trashed_samples(kit, other_user, make_sample, user):
    with pytest.raises(ValidationError):
        kit.assign("A", 1, make_sample(other_user))
    trashed = make_sample(user)
    trashed.move_to_trash()
    with pytest.raises(ValidationError):
        kit.assign("A", 1, trashed)
    with pytest.raises(ValidationError):
        kit.assign("K", 1, make_sample(user))
    assert not kit.pads.exists()


def test_assign_forgets_a_purge_note_for_that_pad(kit, library):
    KitPadRemoval.objects.create(kit=kit, bank="A", pad_number=1, sample_name="Old")
    kit.assign("A", 1, library["kick"])
    assert not kit.removals.exists()


def test_move_to_an_empty_pad_keeps_the_options(kit, library):
    kit.assign("A", 1, library["kick"], volume=90, pitch=-3, reverse=True)
    kit.move_pad("A", 1, "C", 16)
    pad = kit.pads.get()
    assert (pad.bank, pad.pad_number, pad.volume, pad.pitch, pad.reverse) == ("C", 16, 90, -3, True)


def test_move_onto_a_taken_pad_swaps_the_two(kit, library):
    kit.assign("A", 1, library["kick"], volume=100)
    kit.assign("A", 2, library["snare"], pitch=2)
    kit.move_pad("A", 1, "A", 2)
    pads = {pad.pad_number: pad for pad in kit.pads.select_related("sample")}
    assert (pads[1].sample.name, pads[1].pitch, pads[1].volume) == ("Snare Crack", 2, 127)
    assert (pads[2].sample.name, pads[2].pitch, pads[2].volume) == ("Kick Deep", 0, 100)


def test_move_from_an_empty_pad_changes_nothing(kit, library):
    kit.assign("A", 2, library["snare"])
    assert kit.move_pad("A", 1, "A", 2) == []
    assert kit.pads.get().pad_number == 2


def test_clear_pad(kit, library):
    kit.assign("A", 1, library["kick"])
    assert kit.clear_pad("A", 1) is True
    assert kit.clear_pad("A", 1) is False
    assert Sample.objects.filter(pk=library["kick"].pk).exists()


def test_proposal_from_loops_folds_tempo_and_takes_the_common_key(user, library):
    kit = Kit.objects.create(owner=user, name="Empty")
    kit.assign("A", 1, library["loop_same"])  # 90, A minor
    kit.assign("A", 2, library["loop_half"])  # 45.5 -> 91, E minor
    kit.assign("A", 3, library["drums_90"])  # 89, no key
    kit.assign("A", 13, library["kick"])  # one-shots do not vote
    assert kit.proposal() == (90.0, "A", "minor")
    assert kit.adopt_proposal() is True
    kit.refresh_from_db()
    assert (kit.tempo_bpm, kit.key, kit.scale) == (90.0, "A", "minor")
    # Adopted, there is nothing left to propose.
    assert kit.proposal() == (None, "", "")
    assert kit.adopt_proposal() is False


def test_a_kit_in_the_relative_key_of_its_loops_is_offered_no_key(user, library):
    kit = Kit.objects.create(owner=user, name="Dusty", tempo_bpm=92, key="A", scale="minor")
    kit.assign("A", 1, library["loop_close"])  # 92, C major: A minor's notes
    assert kit.proposal() == (None, "", "")
    kit.key, kit.scale = "E", "minor"
    assert kit.proposal() == (None, "C", "major")


def test_a_trashed_sample_keeps_its_pad_and_says_so(kit, library):
    kit.assign("A", 13, library["kick"])
    library["kick"].move_to_trash()
    slot = KitLayout.of(kit).slot("A", 13)
    assert slot.pad is not None
    assert slot.warnings[0].startswith("In the trash")


def test_warnings_on_pads_and_banks(kit, user, make_sample, library):
    kit.assign("A", 1, make_sample(user, duration=0.05))
    kit.assign("A", 2, library["loop_far"])
    kit.assign("A", 3, library["loop_half"])
    layout = KitLayout.of(kit)
    assert "100 ms" in layout.slot("A", 1).warnings[0]
    assert "far from" in layout.slot("A", 2).warnings[0]
    assert layout.slot("A", 3).warnings == []
    assert layout.voice_warnings() == {}
    for number in range(4, 14):
        kit.assign("A", number, make_sample(user, channels=2))
    assert "26 of the 32 voices" in KitLayout.of(kit).voice_warnings()["A"]


def test_duplicate_for_the_owner_reuses_the_samples(kit, library, user):
    kit.assign("A", 1, library["kick"], volume=64)
    copy = kit.copy_for(user)
    assert copy.name == "Boom bap (copy)"
    assert kit.copy_for(user).name == "Boom bap (copy 2)"
    pad = copy.pads.get()
    assert (pad.sample_id, pad.volume) == (library["kick"].pk, 64)
    assert Sample.objects.count() == len(library)


def test_copying_a_shared_kit_copies_its_samples_sharing_the_audio(
    kit, library, other_user, make_sample, make_features
):
    kick = library["kick"]
    make_features(kick, waveform_thumbnail="M0 0")
    kit.assign("A", 13, kick)
    kit.assign("A", 14, library["snare"])
    kit.is_shared = True
    kit.save()
    # Bob already has the snare's audio: his own sample is reused.
    bobs_snare = make_sample(other_user, sha256=library["snare"].sha256, name="My snare")
    copy = kit.copy_for(other_user)
    pads = {pad.pad_number: pad.sample for pad in copy.pads.select_related("sample")}
    assert pads[13].owner == other_user and pads[13].pk != kick.pk
    assert (pads[13].file.name, pads[13].sha256) == (kick.file.name, kick.sha256)
    assert pads[13].features.waveform_thumbnail == "M0 0"
    assert pads[14] == bobs_snare
    assert copy.owner == other_user and copy.name == kit.name
    assert kit.pads.count() == 2  # the original is untouched


def test_assign_retries_as_an_update_when_a_racing_insert_wins(kit, library, monkeypatch):
    """The other request inserted the pad between our read and our insert."""
    real = KitPad.objects.update_or_create.__func__
    calls = []

    def racing(manager, **kwargs):
        calls.append(kwargs)
        if len(calls) == 1:  # as if our insert lost to the other request's
            raise IntegrityError("UNIQUE constraint failed: kit_pad_unique")
        return real(manager, **kwargs)

    KitPad.objects.create(kit=kit, bank="A", pad_number=1, sample=library["snare"])
    monkeypatch.setattr(type(KitPad.objects), "update_or_create", racing)
    kit.assign("A", 1, library["kick"])
    assert len(calls) == 2
    assert kit.pads.get().sample == library["kick"]  # the retry updated the winner's row


def test_add_samples_refuses_another_users_sample_and_adds_nothing(
    kit, library, other_user, make_sample
):
    theirs = make_sample(other_user)
    with pytest.raises(ValidationError):
        kit.add_samples([library["kick"], theirs])
    assert not kit.pads.exists()


def test_added_samples_go_to_the_pads_made_for_them(kit, library, make_sample, user):
    kicks = [make_sample(user, name=f"Kick {n}", category="kick") for n in range(2)]
    loop = make_sample(user, name="Break", kind="loop", category="drum_loop")
    pads, left_over = kit.add_samples([*kicks, loop, library["tom"], make_sample(user, name="Odd")])
    # Kick pads of banks A and B; a loop pad; a tom on a percussion pad; anything else from A1.
    assert [(p.bank, p.pad_number) for p in pads] == [
        ("A", 13),
        ("B", 13),
        ("A", 1),
        ("A", 9),
        ("A", 2),
    ]
    assert left_over == []


def test_add_samples_clears_the_removal_notes_of_the_pads_it_fills(kit, library):
    KitPadRemoval.objects.create(kit=kit, bank="A", pad_number=13, sample_name="Old")
    KitPadRemoval.objects.create(kit=kit, bank="B", pad_number=13, sample_name="Kept")
    pads, left_over = kit.add_samples([library["kick"], library["snare"]])
    assert [(p.bank, p.pad_number) for p in pads] == [("A", 13), ("A", 14)] and left_over == []
    assert list(kit.removals.values_list("sample_name", flat=True)) == ["Kept"]


def test_filling_a_bank_saves_every_chosen_pad_or_none(kit, library):
    library["snare"].move_to_trash()  # Trashed while the proposal was on screen.
    with pytest.raises(ValidationError):
        kit.fill_bank("B", {13: (library["kick"], -2), 14: (library["snare"], 0)})
    assert not kit.pads.exists()

    pads = kit.fill_bank("B", {13: (library["kick"], -2)})
    assert [(pad.bank, pad.pad_number, pad.pitch) for pad in pads] == [("B", 13, -2)]

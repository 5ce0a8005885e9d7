"""Suggestions ranked on a generated library: role, tempo, key, and what the kit already has."""

import pytest

from kits import suggest
from kits.models import Kit

pytestmark = pytest.mark.django_db


def names(suggestions):
    return [item.sample.name for item in suggestions]


def test_kick_pad_prefers_kicks_favourites_first_then_toms(kit, library):
    assert names(suggest.suggest(kit, 13)) == ["Kick Punchy", "Kick Deep", "Tom Low"]
    assert suggest.suggest(kit, 13)[0].reasons == ["kick"]


def test_loop_pads_rank_by_tempo_and_key_and_leave_out_clashes(kit, library):
    ranked = suggest.suggest(kit, 1, limit=10)
    assert names(ranked) == ["Keys 90 Am", "Keys 92 C", "Pad 45 Em", "Break 89"]
    assert ranked[0].reasons == ["melodic loop", "same BPM", "same key"]
    assert ranked[1].reasons == ["melodic loop", "±2 BPM", "relative key"]
    assert ranked[2].reasons == ["melodic loop", "half time, ±1 BPM", "neighbour key"]


def test_samples_already_in_the_kit_are_not_suggested(kit, library):
    kit.assign("C", 2, library["loop_same"])
    kit.assign("B", 13, library["kick2"])
    assert "Keys 90 Am" not in names(suggest.suggest(kit, 1, limit=10))
    assert names(suggest.suggest(kit, 13)) == ["Kick Deep", "Tom Low"]


def test_without_kit_tempo_and_key_any_loop_fits(user, library):
    kit = Kit.objects.create(owner=user, name="Open")
    ranked = names(suggest.suggest(kit, 2, limit=10))
    assert set(ranked) == {
        "Keys 90 Am", "Keys 92 C", "Pad 45 Em", "Beat 120", "Keys 90 F#", "Break 89",
    }  # fmt: skip


def test_suggestions_only_come_from_the_owners_live_library(kit, library, other_user, make_sample):
    make_sample(other_user, name="Their Kick", category="kick")
    library["kick"].move_to_trash()
    assert names(suggest.suggest(kit, 13)) == ["Kick Punchy", "Tom Low"]


def test_fill_bank_proposes_each_sample_once_by_role(kit, library):
    kit.assign("A", 14, library["clap"])  # a taken pad keeps its sample
    proposal = suggest.fill_bank(kit, "A")
    chosen = {number: item.sample.name for number, item in proposal.items()}
    assert chosen == {
        1: "Keys 90 Am", 2: "Keys 92 C", 3: "Pad 45 Em", 4: "Break 89",
        5: "Crash",
        9: "Shaker", 10: "Tom Low", 11: "Riser", 12: "Snare Crack",
        13: "Kick Punchy", 15: "Hat Closed", 16: "Hat Open",
    }  # fmt: skip
    assert not kit.pads.filter(bank="A").exclude(pad_number=14).exists()  # nothing saved


def test_a_bass_note_in_the_kits_key_is_preferred_and_tuned_to_its_root(kit, make_sample, user):
    make_sample(user, name="808 Bb", kind="one-shot", category="kick", pitch_midi=34, pitch_cents=0)
    make_sample(user, name="808 E", kind="one-shot", category="kick", pitch_midi=28, pitch_cents=3)
    make_sample(user, name="808 A", kind="one-shot", category="kick", pitch_midi=33, pitch_cents=-8)
    ranked = suggest.suggest(kit, 13)  # The kit is in A minor.
    assert names(ranked) == ["808 A", "808 E", "808 Bb"]
    assert [item.reasons[-1] for item in ranked] == [
        "A1, root note",
        "E1, in key",
        "A#1, out of key",
    ]
    assert ranked[0].tuning is None
    assert (ranked[1].tuning.offset, ranked[2].tuning.offset) == (5, -1)
    assert ranked[1].tuning.offset_label == "tune +5 st to A"
    assert ranked[2].tuning.offset_label == "tune \N{MINUS SIGN}1 st to A"


def test_notes_are_not_judged_without_a_kit_key(user, make_sample):
    make_sample(user, name="808 Bb", kind="one-shot", category="kick", pitch_midi=34, pitch_cents=0)
    kit = Kit.objects.create(owner=user, name="Open")
    (only,) = suggest.suggest(kit, 13)
    assert only.reasons == ["kick"] and only.tuning is None


def test_samples_too_short_for_the_sampler_are_never_proposed(kit, library, make_sample, user):
    make_sample(user, name="Kick Tick", category="kick", duration=0.05, is_favorite=True)
    assert "Kick Tick" not in names(suggest.suggest(kit, 13))
    proposal = suggest.fill_bank(kit, "A")
    assert "Kick Tick" not in {item.sample.name for item in proposal.values()}

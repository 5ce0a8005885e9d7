"""The note of pitched one-shots: measured, stored, shown, filtered, and no key beside it."""

import numpy as np
import pytest
from django.urls import reverse

from library.analysis import ANALYSIS_RATE, analyze, pitch
from library.analysis.decoding import analysis_signal
from library.analysis.measure import measure
from library.vocabulary import note_name
from tests import audiogen

SR = 44100


def measured(audio, sr=SR) -> pitch.Pitch | None:
    return pitch.estimate(analysis_signal(np.asarray(audio, np.float32), sr), ANALYSIS_RATE)


def cents_off(found: pitch.Pitch, midi: float) -> float:
    return (found.midi - midi) * 100 + found.cents


@pytest.mark.parametrize("midi", [28, 33, 40, 47, 55, 60, 64, 69, 76, 84, 91, 96])
def test_harmonic_notes_within_ten_cents_across_the_keyboard(midi):
    found = measured(audiogen.note(midi, 1.0, SR, ring=0.6))
    assert found is not None and abs(cents_off(found, midi)) <= 10


@pytest.mark.parametrize("midi", [24, 29, 31, 36, 41])
def test_808_read_after_its_opening_glide(midi):
    found = measured(audiogen.long_808(SR, 3.0, midi))
    assert found is not None and abs(cents_off(found, midi)) <= 10


@pytest.mark.parametrize("detune", [-45, -20, 15, 35])
def test_detuned_notes_keep_their_cents(detune):
    found = measured(audiogen.note(57 + detune / 100, 1.0, SR))
    assert found.midi == 57 and abs(found.cents - detune) <= 10


@pytest.mark.parametrize(
    "sound",
    [
        lambda: audiogen.pad_chord("C", "major", 3.0, SR),
        lambda: audiogen.pad_chord("A", "minor", 3.0, SR),
        lambda: audiogen.open_hat(SR),
        lambda: audiogen.snare(SR),
        lambda: np.random.default_rng(3).normal(0, 0.3, SR),
    ],
    ids=["major chord", "minor chord", "open hat", "snare", "noise"],
)
def test_chords_and_noises_have_no_note(sound):
    assert measured(sound()) is None


def test_a_one_shot_note_gets_a_pitch_instead_of_a_key(tmp_path):
    path = audiogen.write(tmp_path / "take 4.wav", audiogen.long_808(SR, 3.0, 29), SR)
    result = analyze(path)
    assert (result.kind, result.pitch, result.pitch_midi) == ("one-shot", "F1", 29)
    assert abs(result.pitch_cents) <= 10 and result.key is None


@pytest.mark.parametrize("midi", [24, 26, 29, 30])
def test_a_clean_sine_808_under_the_chroma_band_gets_its_note(tmp_path, midi):
    """C1-F#1 without harmonics: nothing of the note sounds where pitch classes are read."""
    audio = audiogen.note(midi, 1.2, SR, ring=0.5, harmonics=1)
    result = analyze(audiogen.write(tmp_path / f"sub {midi}.wav", audio, SR))
    assert (result.kind, result.pitch_midi, result.key) == ("one-shot", midi, None)
    assert abs(result.pitch_cents) <= 10


@pytest.mark.parametrize("midi", [48, 60, 67])
def test_a_note_whose_third_and_fifth_harmonics_ring_loud_gets_a_pitch_not_a_key(tmp_path, midi):
    audio = audiogen.bright_note(midi, 1.5, SR)
    assert measure(analysis_signal(audio.astype(np.float32), SR), ANALYSIS_RATE).pitch_classes >= 3
    result = analyze(audiogen.write(tmp_path / f"take {midi}.wav", audio, SR))
    assert (result.kind, result.pitch_midi, result.key) == ("one-shot", midi, None)


def test_every_strong_pitch_class_must_be_the_notes_own_all_through():
    def frames(*moments):  # Pitch classes (C first) held for 16 frames each.
        rows = [np.bincount(classes, minlength=12).astype(float) for classes in moments]
        return np.repeat(np.array(rows), 16, axis=0)

    c_note = [0, 4, 7]  # C, its third (5th harmonic) and fifth (3rd and 6th).
    assert pitch.harmonics_explain(frames(c_note, c_note), 48)
    assert not pitch.harmonics_explain(frames(c_note, c_note), 50)  # Not a D's.
    assert not pitch.harmonics_explain(frames([0, 3, 7]), 48)  # C minor: E flat is foreign.
    assert not pitch.harmonics_explain(frames(c_note, [5, 9, 0], c_note), 48)  # I-IV-I.
    whisper = np.vstack([frames(c_note) * 100, frames([5])])  # F far under the threshold.
    assert pitch.harmonics_explain(whisper, 48)


def test_a_held_chord_keeps_a_key_and_gets_no_pitch(tmp_path):
    path = audiogen.write(tmp_path / "take 5.wav", audiogen.pad_chord("D", "major", 4.0, SR), SR)
    result = analyze(path)
    assert result.pitch is None and result.key is not None


def test_note_names_follow_scientific_pitch():
    assert [note_name(n) for n in (0, 21, 29, 60, 61, 127)] == [
        "C-1",
        "A0",
        "F1",
        "C4",
        "C#4",
        "G9",
    ]


@pytest.mark.django_db
def test_the_list_shows_notes_and_filters_by_them_in_any_octave(client_for, user, make_sample):
    make_sample(
        user, name="808 Fat", kind="one-shot", category="bass", pitch_midi=29, pitch_cents=-12
    )
    make_sample(
        user, name="Sub High", kind="one-shot", category="bass", pitch_midi=41, pitch_cents=2
    )
    make_sample(user, name="808 G", kind="one-shot", category="bass", pitch_midi=31, pitch_cents=0)
    make_sample(user, name="Keys Loop", kind="loop", key="F", scale="minor")
    client = client_for(user)
    page = client.get(reverse("library:index")).content.decode()
    assert "F1 \N{MINUS SIGN}12¢" in page and "F2<" in page and "G1<" in page
    filtered = client.get(reverse("library:index"), {"note": "F"})
    assert [sample.name for sample in filtered.context["samples"]] == ["Sub High", "808 Fat"]


@pytest.mark.django_db
def test_the_sample_page_shows_the_note_and_how_far_off_it_is(client_for, user, make_sample):
    sample = make_sample(user, kind="one-shot", category="bass", pitch_midi=33, pitch_cents=-20)
    page = client_for(user).get(reverse("library:sample_detail", args=[sample.pk])).content.decode()
    assert "<dt>Note</dt><dd>A1 <span" in page and "20 cents flat" in page


@pytest.mark.django_db
def test_a_note_without_cents_is_refused_by_the_database(user, make_sample):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        make_sample(user, pitch_midi=40, pitch_cents=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_sample(user, pitch_midi=40, pitch_cents=70)

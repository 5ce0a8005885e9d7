"""The pure kit rules: tempo and key fit, warnings, proposals and pad roles."""

import pytest

from kits import rules


@pytest.mark.parametrize(
    ("sample_bpm", "relation", "delta"),
    [(90, "same", 0), (92, "same", 2), (45.5, "half", 1), (180, "double", 0), (176, "double", -2)],
)
def test_tempo_fit_accepts_same_half_and_double_time(sample_bpm, relation, delta):
    fit = rules.tempo_fit(sample_bpm, 90)
    assert (fit.relation, fit.delta_bpm) == (relation, delta)


@pytest.mark.parametrize("sample_bpm", [120, 70, 100, None])
def test_tempo_fit_refuses_tempi_outside_the_tolerance(sample_bpm):
    assert rules.tempo_fit(sample_bpm, 90) is None


def test_tempo_fit_labels_say_it_in_a_word_or_two():
    assert rules.tempo_fit(92, 90).label == "±2 BPM"
    assert rules.tempo_fit(90, 90).label == "same BPM"
    assert rules.tempo_fit(45, 90).label == "half time, same BPM"


@pytest.mark.parametrize(
    ("key", "scale", "expected"),
    [
        ("A", "minor", "same key"),
        ("C", "major", "relative key"),
        ("E", "minor", "neighbour key"),
        ("D", "minor", "neighbour key"),
        ("F#", "major", None),
        ("", "", None),
    ],
)
def test_key_relation_follows_the_camelot_wheel(key, scale, expected):
    assert rules.key_relation(key, scale, "A", "minor") == expected


def test_warnings_for_what_the_unit_refuses_and_loops_off_tempo():
    def warn(**fields):
        values = {"duration": 1.0, "kind": "one-shot", "category": "kick", "tempo_bpm": None}
        return rules.pad_warnings(**{**values, **fields}, kit_bpm=90)

    assert warn() == []
    assert "100 ms" in warn(duration=0.05)[0]
    assert "16 minutes" in warn(duration=17 * 60)[0]
    assert "far from" in warn(kind="loop", category="drum_loop", tempo_bpm=120)[0]
    assert warn(kind="loop", category="drum_loop", tempo_bpm=180) == []  # double time is fine


def test_bank_voice_warning_when_stereo_pads_take_most_voices():
    assert rules.bank_voice_warning(12) == ""
    assert "26 of the 32 voices" in rules.bank_voice_warning(13)


def test_proposed_tempo_is_the_median_folded_into_range_and_key_the_most_common():
    assert rules.propose_tempo([90, 180, 45, 92, None]) == 90
    assert rules.propose_tempo([]) is None
    assert rules.propose_key([("A", "minor"), ("C", "major"), ("A", "minor"), ("", "")]) == (
        "A",
        "minor",
    )


def test_pad_roles_follow_the_common_layout():
    assert [rules.role_of(n).label for n in (13, 14, 15, 16)] == [
        "kick", "snare", "closed hat", "open hat",
    ]  # fmt: skip
    assert rules.role_of(10).label == "percussion"
    assert rules.role_of(6).label == "cymbal / fx"
    assert rules.role_of(1).loops

"""Key detection on generated audio with known keys: right key, retuned, and no key when unclear."""

import numpy as np
import pytest

from library.analysis import tonality
from library.analysis.decoding import ANALYSIS_RATE
from library.analysis.measure import measure
from library.analysis.spectral import PitchClasses
from tests import audiogen

KEYS = [(root, scale) for scale in ("major", "minor") for root in audiogen.PITCH_CLASSES]
# Progressions that open on the tonic, as loops in a key mostly do.
PROGRESSIONS = {
    "major": [(0, 3, 4, 0), (0, 4, 5, 3), (0, 5, 3, 4)],
    "minor": [(0, 3, 4, 0), (0, 5, 3, 4)],
}
# ... and loops cut elsewhere in theirs: on the subdominant, or on the sixth degree,
# resolving through the dominant to the tonic.
OPENING_ELSEWHERE = [(3, 4, 0, 0), (5, 3, 4, 0)]


def key_of(audio) -> tonality.Key:
    sound = measure(audio, ANALYSIS_RATE)
    return tonality.estimate_key(sound.chroma, sound.harmonic_ratio)


@pytest.mark.parametrize(("root", "scale"), KEYS)
def test_progressions_get_their_key_and_scale(root, scale):
    for degrees in PROGRESSIONS[scale]:
        key = key_of(audiogen.progression(root, scale, degrees, 4.0, ANALYSIS_RATE))
        assert (key.tonic, key.scale) == (root, scale), degrees


@pytest.mark.parametrize(("root", "scale"), KEYS)
def test_a_loop_opening_on_another_chord_keeps_its_key(root, scale):
    for degrees in OPENING_ELSEWHERE:
        key = key_of(audiogen.progression(root, scale, degrees, 4.0, ANALYSIS_RATE))
        assert (key.tonic, key.scale) == (root, scale), degrees


@pytest.mark.parametrize("root", audiogen.PITCH_CLASSES)
def test_a_vamp_between_tonic_and_subdominant_is_in_the_tonic_minor(root):
    # i-iv-i-iv: the subdominant's minor triad sounds half the time, and its
    # root is the tonic's fifth below; the tonic opens and returns.
    key = key_of(audiogen.progression(root, "minor", (0, 3, 0, 3), 4.0, ANALYSIS_RATE))
    assert (key.tonic, key.scale) == (root, "minor")


@pytest.mark.parametrize(("root", "scale"), [("C", "major"), ("F#", "minor"), ("A", "minor")])
@pytest.mark.parametrize("cents", [-40, 30, 45])
def test_a_recording_off_concert_pitch_keeps_its_key(root, scale, cents):
    # Up to 50 cents off, a note still reads as the nearest pitch class, not shared with the next.
    audio = audiogen.progression(root, scale, (0, 3, 4, 0), 4.0, ANALYSIS_RATE, cents=cents)
    key = key_of(audio)
    assert (key.tonic, key.scale) == (root, scale)


def test_a_clear_progression_is_given_with_high_confidence():
    key = key_of(audiogen.progression("D", "major", (0, 3, 4, 0), 4.0, ANALYSIS_RATE))
    assert key.confidence >= 0.8


def test_noise_gets_no_key():
    noise = np.random.default_rng(0).standard_normal(ANALYSIS_RATE * 2).astype(np.float32) * 0.3
    assert key_of(noise) == tonality.NO_KEY


def test_all_twelve_pitch_classes_at_once_get_no_key():
    assert key_of(audiogen.cluster(3.0, ANALYSIS_RATE)) == tonality.NO_KEY


def test_evidence_that_fits_no_key_better_than_others_gives_no_key():
    flat = PitchClasses(
        *(np.ones(12),) * 5,
        chords=np.full(24, 1 / 24),
        changes=np.full((24, 24), 1 / 576),
        bass_changes=np.full((12, 12), 1 / 144),
    )
    assert tonality.estimate_key(flat, harmonic_ratio=0.9) == tonality.NO_KEY


def test_confidence_is_the_probability_of_the_chosen_key():
    sound = measure(
        audiogen.progression("E", "minor", (0, 3, 4, 0), 4.0, ANALYSIS_RATE), ANALYSIS_RATE
    )
    probabilities = tonality.key_probabilities(sound.chroma)
    key = tonality.estimate_key(sound.chroma, sound.harmonic_ratio)
    assert probabilities.sum() == pytest.approx(1.0)
    assert key.confidence == pytest.approx(probabilities.max(), abs=1e-3)
    assert audiogen.PITCH_CLASSES[int(probabilities.argmax()) % 12] == key.tonic


def test_the_shipped_model_matches_the_features_measured(tmp_path):
    model = tonality.shipped()
    assert model.weights.shape == (2, len(tonality.FEATURE_NAMES))
    path = tmp_path / "model.npz"
    tonality.save(path, model)
    assert np.array_equal(tonality.load(path).weights, model.weights)
    np.savez(path, feature_names=np.array(["tuned 0"]), weights=model.weights, minor_bias=0.0)
    with pytest.raises(RuntimeError, match=r"bench/keys\.py --fit"):
        tonality.load(path)

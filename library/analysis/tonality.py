"""Musical key from pitch-class summaries, only for material that is tonal.

Each of the 24 keys is scored by a weighted sum of evidence a musician also hears:
how well the pitch classes fit the key's profile (over the whole sound and in the
bass), whether the sound opens on the tonic triad and tonic bass note, and how much
of the time the tonic, dominant and diatonic chords sound. A softmax over the 24
scores is the key's probability, reported as key_confidence; below
MIN_CONFIDENCE no key is given.
"""

from dataclasses import dataclass

import numpy as np

from library.analysis.spectral import TRIADS, PitchClasses
from library.vocabulary import PITCH_CLASSES

# Gómez's profiles (E. Gómez, "Tonal description of music audio signals", PhD thesis,
# UPF 2006, as in MIRtoolbox), derived from audio rather than from scores, so they
# carry the overtones any real instrument adds.  Measured by bench/keys.py --fit on
# its 960 tonal loops: alone, the best-correlating key is right for 64.5 % of them
# with these, 65.3 % with Albrecht & Shanahan's (2013), 62.6 % with Temperley's
# Kostka-Payne profiles (2007) and 50.7 % with Krumhansl & Kessler's (1982); with
# all the evidence below, weights fitted on timgm6mb, the likeliest key of the 480
# held-out freepats and LMMS loops is right for 82.7 % against 81.9 % (Temperley),
# 79.8 % (Albrecht-Shanahan) and 78.1 % (Krumhansl-Kessler).
MAJOR_PROFILE = np.array(
    [1.5613, 0.8396, 1.1929, 0.7586, 1.4157, 1.0300, 0.8756, 1.5361, 0.8415, 1.2141, 0.7235, 1.1331]
)
MINOR_PROFILE = np.array(
    [1.6222, 0.8027, 1.1587, 1.3813, 0.9795, 1.0486, 0.8595, 1.5466, 1.0523, 1.0179, 1.1278, 0.9862]
)

# Diatonic triads as (semitones above the tonic, minor?): minor keys take their
# dominant from harmonic minor as well, as most music in minor does.
MAJOR_CHORDS = ((0, False), (2, True), (4, True), (5, False), (7, False), (9, True))
MINOR_CHORDS = ((0, True), (3, False), (5, True), (7, True), (7, False), (8, False), (10, False))

EVIDENCE = (
    "profile_fit",
    "bass_profile_fit",
    "opening_triad_fit",
    "minor",
    "tonic_chord",
    "dominant_chord",
    "subdominant_chord",
    "diatonic_chords",
    "opening_bass_on_tonic",
)
# Fitted by bench/keys.py --fit (multinomial logistic regression) on the timgm6mb
# loops only; freepats and LMMS loops were held out to check them and the confidence.
WEIGHTS = np.array([5.2, 0.9, 1.7, 0.5, 1.9, 1.1, -1.9, 2.4, 2.4])

# Silence, noise, cymbals and claps have a tonal share under 0.1, sustained notes over 0.9.
MIN_HARMONIC_RATIO = 0.35
# A key is given only when it is likelier than all 23 others together.
MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Key:
    """A key estimate: tonic, scale and confidence; tonic None when not tonal."""

    tonic: str | None
    scale: str | None
    confidence: float


NO_KEY = Key(None, None, 0.0)


def _unit_rows(rows: list[np.ndarray]) -> np.ndarray:
    profiles = np.array(rows, dtype=float)
    profiles -= profiles.mean(axis=1, keepdims=True)
    return profiles / np.linalg.norm(profiles, axis=1, keepdims=True)


def _chord_index(root: int, minor: bool) -> int:
    return root % 12 + (12 if minor else 0)


def _chord_rows() -> np.ndarray:
    """Per key: which of the 24 triads are its tonic, dominant, subdominant and diatonic ones."""
    rows = np.zeros((24, 4, 24))
    for key in range(24):
        tonic, minor = key % 12, key >= 12
        rows[key, 0, _chord_index(tonic, minor)] = 1
        rows[key, 1, _chord_index(tonic + 7, False)] = 1
        rows[key, 2, _chord_index(tonic + 5, minor)] = 1
        for step, chord_minor in MINOR_CHORDS if minor else MAJOR_CHORDS:
            rows[key, 3, _chord_index(tonic + step, chord_minor)] = 1
    return rows


CHORD_ROWS = _chord_rows()


def correlations(templates: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Pearson correlation of values with each (centred, unit-length) template row."""
    centred = values - values.mean()
    norm = np.linalg.norm(centred)
    return templates @ centred / norm if norm > 0 else np.zeros(len(templates))


def key_profiles(major: np.ndarray, minor: np.ndarray) -> np.ndarray:
    """The 24 key profiles (12 major then 12 minor), each centred and unit-length."""
    return _unit_rows(
        [np.roll(major, shift) for shift in range(12)]
        + [np.roll(minor, shift) for shift in range(12)]
    )


PROFILES = key_profiles(MAJOR_PROFILE, MINOR_PROFILE)


def key_evidence(pitch_classes: PitchClasses, profiles: np.ndarray = PROFILES) -> np.ndarray:
    """The EVIDENCE for each of the 24 keys (12 major then 12 minor), as a 24 x 9 array."""
    opening_bass = pitch_classes.opening_bass
    on_tonic = opening_bass / opening_bass.sum() if opening_bass.sum() > 0 else opening_bass
    columns = [
        correlations(profiles, pitch_classes.tuned),
        correlations(profiles, pitch_classes.bass),
        correlations(TRIADS, pitch_classes.opening),
        np.repeat([0.0, 1.0], 12),
        *(CHORD_ROWS[:, role] @ pitch_classes.chords for role in range(4)),
        np.tile(on_tonic, 2),
    ]
    return np.stack(columns, axis=1)


def key_probabilities(pitch_classes: PitchClasses, weights: np.ndarray = WEIGHTS) -> np.ndarray:
    """Probability of each of the 24 keys: a softmax over their weighted evidence."""
    scores = key_evidence(pitch_classes) @ weights
    scores = np.exp(scores - scores.max())
    return scores / scores.sum()


def estimate_key(pitch_classes: PitchClasses, harmonic_ratio: float) -> Key:
    """The likeliest key when the material is tonal and the key clear enough, else NO_KEY."""
    if harmonic_ratio < MIN_HARMONIC_RATIO or pitch_classes.tuned.sum() <= 0:
        return NO_KEY
    probabilities = key_probabilities(pitch_classes)
    best = int(np.argmax(probabilities))
    confidence = float(probabilities[best])
    if confidence < MIN_CONFIDENCE:
        return NO_KEY
    scale = "major" if best < 12 else "minor"
    return Key(PITCH_CLASSES[best % 12], scale, round(confidence, 3))

"""Musical key from a chroma summary, only for material that is tonal."""

from dataclasses import dataclass

import numpy as np

from library.vocabulary import PITCH_CLASSES

# Krumhansl & Kessler's probe-tone ratings: how well each scale degree fits a key.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

# Tonality gates.  The tonal share is the strong one: noise scores about 0.02,
# cymbals and claps under 0.1, sustained notes over 0.9.  Correlation alone
# separates poorly (random chroma reaches 0.5-0.6 against the best of 24 keys),
# so it only rejects chroma that fits no key at all; drums are excluded by category.
MIN_HARMONIC_RATIO = 0.35
MIN_CORRELATION = 0.5


@dataclass(frozen=True)
class Key:
    """A key estimate: tonic, scale and confidence; tonic None when not tonal."""

    tonic: str | None
    scale: str | None
    confidence: float
    correlation: float = 0.0


NO_KEY = Key(None, None, 0.0)


def _profiles() -> np.ndarray:
    """The 24 key profiles (12 major then 12 minor), each centred and unit-length."""
    rows = [np.roll(MAJOR_PROFILE, shift) for shift in range(12)]
    rows += [np.roll(MINOR_PROFILE, shift) for shift in range(12)]
    profiles = np.array(rows)
    profiles -= profiles.mean(axis=1, keepdims=True)
    return profiles / np.linalg.norm(profiles, axis=1, keepdims=True)


PROFILES = _profiles()


def key_correlations(chroma: np.ndarray) -> np.ndarray:
    """Pearson correlation of the chroma with each of the 24 key profiles."""
    centred = chroma - chroma.mean()
    norm = np.linalg.norm(centred)
    return PROFILES @ centred / norm if norm > 0 else np.zeros(24)


def estimate_key(chroma: np.ndarray, harmonic_ratio: float) -> Key:
    """The best-correlating key when the material is tonal enough, else NO_KEY."""
    if harmonic_ratio < MIN_HARMONIC_RATIO or chroma.sum() <= 0:
        return NO_KEY
    correlations = key_correlations(chroma)
    ranked = np.argsort(correlations)[::-1]
    best, runner_up = correlations[ranked[0]], correlations[ranked[1]]
    if best < MIN_CORRELATION:
        return NO_KEY
    # Confident when the fit is good and clearly beats the next key; a margin of
    # 0.1 in correlation is already a clear preference for these profiles.
    margin = min(1.0, (best - runner_up) / 0.1)
    confidence = float(np.clip(best, 0, 1) * (0.5 + 0.5 * margin))
    index = int(ranked[0])
    scale = "major" if index < 12 else "minor"
    return Key(PITCH_CLASSES[index % 12], scale, round(confidence, 3), float(best))

"""Musical key from pitch-class summaries, only for material that is tonal.

Each of the 24 keys is scored by a linear model over what the sound holds
(the square roots of shares), seen from that key's tonic: its pitch classes
over the whole sound and in the bass, over its opening (where loops mostly
sound the tonic chord and bass note), how long each triad sounds, the moves
between triads into and out of the tonic triad (a dominant resolving to the
tonic, the tonic giving way to the subdominant), and the bass's moves into and
out of the tonic note.  Major and
minor keys have a weight vector each: learned key profiles, in place of the
published ones, which did worse on real instruments (see bench/keys.py).  A
softmax over the 24 scores is the key's probability, reported as
key_confidence; below MIN_CONFIDENCE no key is given.

The weights ship beside this module as ``key_model.npz`` (plain arrays, no
pickle), written by ``bench/keys.py --fit`` from tonal loops played by real
sampled instruments, each also heard from half-way through, so that a loop
opening on another chord of its progression is not taken for another key.
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from library.analysis.spectral import PitchClasses
from library.vocabulary import PITCH_CLASSES

MODEL_PATH = Path(__file__).with_name("key_model.npz")
# Names of the 144 features per key, in order; the model file must list the same.
# Each is the square root of a share: a share's small values (a passing note, a
# rare chord) then weigh more against its large ones, as in the Hellinger
# distance between distributions.  Leave one source out, the roots put 85.7% of
# loops in the right key against 84.6%, and 75.3% from half-way against 73.4%.
FEATURE_NAMES = tuple(
    f"root of {name}"
    for name in [f"{part} {step}" for part in ("tuned", "bass", "opening", "opening bass") for step in range(12)]
    + [f"{quality} chord {step}" for quality in ("major", "minor") for step in range(12)]
    + [f"{way} tonic {quality} {step}" for way in ("into", "out of") for quality in ("major", "minor") for step in range(12)]
    + [f"bass {way} tonic {step}" for way in ("into", "out of") for step in range(12)]
)  # fmt: skip

# Silence, noise, cymbals and claps have a tonal share under 0.1, sustained notes over 0.9.
MIN_HARMONIC_RATIO = 0.35
# A key is given only when it is likelier than all 23 others together.
MIN_CONFIDENCE = 0.5

# ROTATE[t] reads pitch classes from tonic t: ROTATE[t][i] is t + i semitones.
ROTATE = (np.arange(12)[None, :] + np.arange(12)[:, None]) % 12
# The same for the 24 triads (12 major roots, then 12 minor).
ROTATE_TRIADS = np.concatenate([ROTATE, ROTATE + 12], axis=1)


@dataclass(frozen=True)
class Key:
    """A key estimate: tonic, scale and confidence; tonic None when not tonal."""

    tonic: str | None
    scale: str | None
    confidence: float


@dataclass(frozen=True)
class KeyModel:
    """Per scale (major, minor) a weight per feature, and minor keys' bias."""

    weights: np.ndarray  # 2 x len(FEATURE_NAMES)
    minor_bias: float


NO_KEY = Key(None, None, 0.0)


def _shares(values: np.ndarray) -> np.ndarray:
    total = values.sum()
    return values / total if total > 0 else values


def key_features(pitch_classes: PitchClasses) -> np.ndarray:
    """The features of each of the 24 keys (12 major then 12 minor): 24 x FEATURE_NAMES."""
    profiles = [
        _shares(values)[ROTATE]
        for values in (
            pitch_classes.tuned,
            pitch_classes.bass,
            pitch_classes.opening,
            pitch_classes.opening_bass,
        )
    ]
    chords = pitch_classes.chords[ROTATE_TRIADS]
    per_tonic = np.concatenate([*profiles, chords], axis=1)  # 12 x 72, the same for both scales
    tonics = np.arange(12)[:, None]
    bass = pitch_classes.bass_changes
    bass_moves = [bass[ROTATE, tonics], bass[tonics, ROTATE]]  # into and out of the tonic
    changes = pitch_classes.changes
    rows = []
    for minor in (False, True):
        tonic_triads = tonics + (12 if minor else 0)
        into = changes[ROTATE_TRIADS, tonic_triads]
        out_of = changes[tonic_triads, ROTATE_TRIADS]
        rows.append(np.concatenate([per_tonic, into, out_of, *bass_moves], axis=1))
    return np.sqrt(np.concatenate(rows, axis=0))


def scores(features: np.ndarray, model: KeyModel) -> np.ndarray:
    """Each key's score: its features weighed by its scale's weights (features: ... x 24 x F)."""
    major = features[..., :12, :] @ model.weights[0]
    minor = features[..., 12:, :] @ model.weights[1] + model.minor_bias
    return np.concatenate([major, minor], axis=-1)


def softmax(values: np.ndarray) -> np.ndarray:
    exp = np.exp(values - values.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


def save(path, model: KeyModel, **extra) -> None:
    """Write a model as plain arrays, with its feature names and anything to keep beside it."""
    np.savez_compressed(
        path,
        feature_names=np.array(FEATURE_NAMES),
        weights=model.weights.astype(np.float32),
        minor_bias=np.array(model.minor_bias),
        **{key: np.array(value) for key, value in extra.items()},
    )


def load(path=MODEL_PATH) -> KeyModel:
    """Read a model written by ``save``; one measuring other features is refused."""
    with np.load(path, allow_pickle=False) as data:
        if tuple(str(name) for name in data["feature_names"]) != FEATURE_NAMES:
            raise RuntimeError(
                f"{Path(path).name} was trained on other key features than the code measures; "
                "rebuild it with bench/keys.py --fit."
            )
        return KeyModel(data["weights"].astype(float), float(data["minor_bias"]))


@lru_cache(maxsize=1)
def shipped() -> KeyModel:
    """The model shipped with the app, read once per process."""
    return load(MODEL_PATH)


def key_probabilities(pitch_classes: PitchClasses, model: KeyModel | None = None) -> np.ndarray:
    """Probability of each of the 24 keys (12 major then 12 minor)."""
    return softmax(scores(key_features(pitch_classes), model or shipped()))


def estimate_key(
    pitch_classes: PitchClasses, harmonic_ratio: float, model: KeyModel | None = None
) -> Key:
    """The likeliest key when the material is tonal and the key clear enough, else NO_KEY."""
    if harmonic_ratio < MIN_HARMONIC_RATIO or pitch_classes.tuned.sum() <= 0:
        return NO_KEY
    probabilities = key_probabilities(pitch_classes, model)
    best = int(np.argmax(probabilities))
    confidence = float(probabilities[best])
    if confidence < MIN_CONFIDENCE:
        return NO_KEY
    scale = "major" if best < 12 else "minor"
    return Key(PITCH_CLASSES[best % 12], scale, round(confidence, 3))

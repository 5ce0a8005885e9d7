"""Instrument category: what the sound says, weighed with what the name says.

One-shots are classified by a network learned from real recordings
(``classifier``); its probabilities are calibrated on kits it never saw, so a
confidence of 0.8 means what it says.  A name is evidence, not a verdict: the
categories it names keep their audio probability, every other category is
multiplied by a doubt factor, and the result is normalised again.  So a name
that clearly says "ride" wins over a weak audio guess of "crash" or "snare",
while a file called "kick" that is plainly a hi-hat stays a hi-hat.  Loops keep
their descriptor rules.
"""

from dataclasses import dataclass

import numpy as np

from library.analysis import classifier
from library.analysis.measure import Measurements
from library.analysis.naming import DRUMS, LOOP_OF, LOOPS, NameHints
from library.vocabulary import CATEGORIES

NO_KEY_CATEGORIES = DRUMS | {"drum_loop", "fx", "other"}
# How much less likely a category the name does not allow becomes.  A file's
# own name is stronger evidence than a folder, which often holds mixed sounds.
FILE_NAME_DOUBT = 0.005
FOLDER_DOUBT = 0.1
# Where only the name can tell (loops, and FX, which the network does not learn).
FILE_NAME_CONFIDENCE = 0.9
FOLDER_CONFIDENCE = 0.8


@dataclass(frozen=True)
class Category:
    """The chosen category, how sure we are (0..1) and where it came from."""

    name: str
    confidence: float
    source: str


def ramp(value: float, start: float, end: float) -> float:
    """0 at start, 1 at end, linear between (works falling too, when end < start)."""
    if start == end:
        return float(value >= end)
    return min(1.0, max(0.0, (value - start) / (end - start)))


def loop_scores(sound: Measurements) -> dict[str, float]:
    """Scores of the loop categories: drums are noisy above the kick, bass lines stay low."""
    tonal = ramp(sound.upper_harmonic_ratio, 0.35, 0.6)
    low = ramp(sound.centroid, 600, 300) * ramp(sound.band_shares[2:].sum(), 0.15, 0.05)
    return {
        "drum_loop": 1 - tonal,
        "bass_loop": tonal * low,
        "melodic_loop": tonal * (1 - low),
        "vocal_loop": 0.0,
    }


def one_shot_probabilities(sound: Measurements) -> dict[str, float]:
    """Calibrated probability of each one-shot category, from the sound alone."""
    network = classifier.shipped()
    row = network.probabilities(np.asarray(sound.timbre)[None, :])[0]
    return {name: float(value) for name, value in zip(network.classes, row, strict=True)}


def name_candidates(hints: NameHints, kind: str) -> frozenset[str]:
    """The categories the name allows, translated to loops or one-shots as the kind needs."""
    if kind == "loop":
        loops = {loop for loop, members in LOOP_OF.items() if hints.categories & (members | {loop})}
        return frozenset(loops | (hints.categories & {"fx"}))
    return frozenset(hints.categories - LOOPS)


def _name_confidence(hints: NameHints) -> float:
    return FILE_NAME_CONFIDENCE if hints.from_file_name else FOLDER_CONFIDENCE


def _doubt(name: str, allowed: frozenset[str], hints: NameHints) -> float:
    """How much the name lowers a category: not at all, as a folder does, or as a file name."""
    if name in allowed:
        return 1.0
    ruled_out_by_file = hints.from_file_name and name not in hints.file_categories
    return FILE_NAME_DOUBT if ruled_out_by_file else FOLDER_DOUBT


def combine(probabilities: dict[str, float], hints: NameHints) -> Category:
    """The most likely category once the name's evidence weighs on the audio's."""
    named = name_candidates(hints, "one-shot") & set(CATEGORIES)
    allowed = named & set(probabilities)
    if named and not allowed:
        # The name says what the sound cannot (FX): it alone decides.
        return Category(min(named), _name_confidence(hints), "name")
    if not allowed:
        chosen = max(probabilities, key=probabilities.get)
        return Category(chosen, round(probabilities[chosen], 3), "audio")
    weighed = {name: value * _doubt(name, allowed, hints) for name, value in probabilities.items()}
    total = sum(weighed.values()) or 1.0
    chosen = max(weighed, key=weighed.get)
    source = "name" if chosen in allowed else "audio"
    return Category(chosen, round(weighed[chosen] / total, 3), source)


def _loop_category(sound: Measurements, hints: NameHints) -> Category:
    scores = loop_scores(sound)
    allowed = name_candidates(hints, "loop") & set(CATEGORIES)
    if not allowed:
        chosen = max(scores, key=scores.get)
        return Category(chosen, _confidence(scores, chosen), "audio")
    chosen = max(sorted(allowed), key=lambda name: scores.get(name, 0.0))
    if len(allowed) > 2:
        confidence = _confidence({k: scores.get(k, 0.0) for k in allowed}, chosen)
        return Category(chosen, max(confidence, 0.3), "audio")
    base = _name_confidence(hints) - (0.15 if len(allowed) == 2 else 0.0)
    agrees = chosen == max(scores, key=scores.get)
    return Category(chosen, round(min(1.0, base + (0.05 if agrees else 0.0)), 3), "name")


def _confidence(scores: dict[str, float], chosen: str) -> float:
    """High when the chosen score is high and clearly above the runner-up."""
    best = scores[chosen]
    runner_up = max((score for name, score in scores.items() if name != chosen), default=0.0)
    if best <= 0:
        return 0.1  # Nothing fitted: a fallback guess.
    margin = max(0.0, best - runner_up) / best
    return round(min(1.0, best) * (0.5 + 0.5 * margin), 3)


def categorize(sound: Measurements, kind: str, hints: NameHints) -> Category:
    """The category of a measured sound of the given kind, with the name's help."""
    if sound.silent:
        return Category("other", 1.0, "audio")
    if kind == "loop":
        return _loop_category(sound, hints)
    return combine(one_shot_probabilities(sound), hints)


def may_have_key(category: str) -> bool:
    """Drums, drum loops, FX and silence are never given a key."""
    return category not in NO_KEY_CATEGORIES


# A kick may be an 808 and a tom or a conga is tuned; snares, hats, cymbals,
# claps and effects have no note a musician would tune to.
PITCHED_CATEGORIES = frozenset(
    {"kick", "tom", "percussion", "bass", "keys", "lead", "pad", "vocal"}
)


def may_have_pitch(category: str) -> bool:
    """One-shots of these categories are looked at for a note."""
    return category in PITCHED_CATEGORIES

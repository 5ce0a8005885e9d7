"""Instrument category from the sound, then reconciled with what the name says.

Each category gets a score in 0..1: a product of soft memberships on physical
descriptors (where the energy sits, how tonal it is, how it starts and decays).
Bounds are set from how these instruments are built, with wide ramps rather
than sharp thresholds, e.g. a kick's pitch settles below about 90 Hz, a tom's
above; hi-hats keep most of their energy above 5 kHz.
"""

from dataclasses import dataclass

from library.analysis.measure import Measurements
from library.analysis.naming import DRUMS, LOOP_OF, LOOPS, NameHints
from library.vocabulary import CATEGORIES

NO_KEY_CATEGORIES = DRUMS | {"drum_loop", "fx", "other"}
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


def _envelope_traits(sound: Measurements) -> dict[str, float]:
    envelope = sound.envelope
    sounding_share = envelope.sounding_time / sound.duration if sound.duration > 0 else 1.0
    return {
        "decays": max(ramp(envelope.end_to_peak_db, -12, -30), ramp(sounding_share, 0.9, 0.5)),
        "fast_attack": ramp(envelope.attack_time, 0.08, 0.02),
        "slow_attack": ramp(envelope.attack_time, 0.05, 0.2),
        "tonal": ramp(sound.harmonic_ratio, 0.4, 0.7),
        "noisy": ramp(sound.harmonic_ratio, 0.6, 0.25),
        "bright": ramp(sound.band_shares[4], 0.3, 0.55) * ramp(sound.centroid, 3500, 5000),
    }


def drum_scores(sound: Measurements, traits: dict[str, float]) -> dict[str, float]:
    """Scores of the drum one-shot categories."""
    shares, sounding = sound.band_shares, sound.envelope.sounding_time
    hit = traits["decays"] * traits["fast_attack"]
    mid_noise = ramp(sound.centroid, 700, 1400) * ramp(sound.centroid, 7000, 5000)
    low_body = shares[0] + shares[1]
    return {
        "kick": hit
        * ramp(shares[0], 0.3, 0.6)
        * ramp(sound.settled_hz, 110, 80)
        * ramp(sounding, 1.5, 0.8),
        "tom": hit
        * ramp(sound.harmonic_ratio, 0.3, 0.6)
        * ramp(sound.settled_hz, 70, 95)
        * ramp(sound.settled_hz, 500, 350)
        * ramp(low_body, 0.4, 0.7)
        * ramp(sounding, 2.0, 1.2),
        "snare": hit
        * ramp(1 - sound.harmonic_ratio, 0.2, 0.4)
        * mid_noise
        * ramp(low_body, 0.03, 0.15),
        "clap": hit
        * traits["noisy"]
        * mid_noise
        * ramp(low_body, 0.2, 0.08)
        * ramp(sound.bursts, 1.5, 3),
        "closed_hat": traits["decays"] * traits["bright"] * ramp(sounding, 0.25, 0.12),
        "open_hat": traits["decays"]
        * traits["bright"]
        * ramp(sounding, 0.12, 0.25)
        * ramp(sounding, 1.6, 1.1),
        "cymbal": traits["bright"] * traits["noisy"] * ramp(sounding, 1.0, 1.6),
        # Anything struck that fits no drum above: shakers, woodblocks, congas...
        "percussion": 0.35 * hit,
    }


def tonal_scores(sound: Measurements, traits: dict[str, float]) -> dict[str, float]:
    """Scores of the tonal one-shot categories, of FX and of silence."""
    sounding = sound.envelope.sounding_time
    above_bass = ramp(sound.dominant_hz, 120, 200)
    monophonic = ramp(sound.pitch_classes, 2.5, 1.5)
    return {
        "bass": traits["tonal"]
        * ramp(sound.settled_hz, 200, 120)
        * ramp(sound.band_shares[0], 0.3, 0.55)
        * ramp(sounding, 0.25, 0.5),
        "pad": traits["tonal"] * traits["slow_attack"] * ramp(sounding, 0.8, 1.5) * above_bass,
        "keys": traits["tonal"]
        * traits["fast_attack"]
        * above_bass
        * max(1 - monophonic, 0.6 * traits["decays"]),
        "lead": traits["tonal"]
        * ramp(sound.envelope.attack_time, 0.15, 0.05)
        * above_bass
        * monophonic
        * (1 - 0.5 * traits["decays"]),
        "fx": max(0.2, traits["noisy"] * (1 - traits["decays"]) * ramp(sounding, 0.3, 0.8)),
        "vocal": 0.0,  # Not told apart from other tonal sounds by these descriptors.
        "other": 1.0 if sound.silent else 0.0,
    }


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


def audio_scores(sound: Measurements, kind: str) -> dict[str, float]:
    """Scores (0..1) of every category that fits the kind, from the sound alone."""
    if sound.silent:
        return {"other": 1.0}
    if kind == "loop":
        return loop_scores(sound)
    traits = _envelope_traits(sound)
    return drum_scores(sound, traits) | tonal_scores(sound, traits)


def _confidence(scores: dict[str, float], chosen: str) -> float:
    """High when the chosen score is high and clearly above the runner-up."""
    best = scores[chosen]
    runner_up = max((score for name, score in scores.items() if name != chosen), default=0.0)
    if best <= 0:
        return 0.1  # Nothing fitted: a fallback guess.
    margin = max(0.0, best - runner_up) / best
    return round(min(1.0, best) * (0.5 + 0.5 * margin), 3)


def name_candidates(hints: NameHints, kind: str) -> frozenset[str]:
    """The categories the name allows, translated to loops or one-shots as the kind needs."""
    if kind == "loop":
        loops = {loop for loop, members in LOOP_OF.items() if hints.categories & (members | {loop})}
        return frozenset(loops | (hints.categories & {"fx"}))
    return frozenset(hints.categories - LOOPS)


def categorize(sound: Measurements, kind: str, hints: NameHints) -> Category:
    """Combine the name's words (when they fit the kind) with the sound's scores."""
    scores = audio_scores(sound, kind)
    allowed = name_candidates(hints, kind) & set(CATEGORIES)
    if not allowed:
        chosen = max(scores, key=scores.get)
        return Category(chosen, _confidence(scores, chosen), "audio")
    chosen = max(sorted(allowed), key=lambda name: scores.get(name, 0.0))
    if len(allowed) > 2:
        confidence = _confidence({k: scores.get(k, 0.0) for k in allowed}, chosen)
        return Category(chosen, max(confidence, 0.3), "audio")
    base = FILE_NAME_CONFIDENCE if hints.from_file_name else FOLDER_CONFIDENCE
    if len(allowed) == 2:
        base -= 0.15  # The sound chose between the two words the name allowed.
    agrees = chosen == max(scores, key=scores.get)
    return Category(chosen, round(min(1.0, base + (0.05 if agrees else 0.0)), 3), "name")


def may_have_key(category: str) -> bool:
    """Drums, drum loops, FX and silence are never given a key."""
    return category not in NO_KEY_CATEGORIES

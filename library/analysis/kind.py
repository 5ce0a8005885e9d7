"""Loop or one-shot, decided from the audio, and the tempo of loops.

A loop has several onsets on a steady grid, spread over the whole file, and
its level holds up to the end; a one-shot has one attack (or a few irregular
ones) and then decays or just sustains.  Length is never the criterion: a
4-second 808 is a one-shot, a 1.4-second bar of hats is a loop.
"""

import math
import re
from dataclasses import dataclass

from library.analysis import rhythm
from library.analysis.categories import ramp
from library.analysis.measure import Measurements

SPARSE_BAR_SPREAD = 0.6  # Share of the file a sparse bar's onsets span: the bar less its last beat.
NAME_OVERRIDES_BELOW = 0.75  # The name's "loop"/"one shot" wins over weaker audio evidence.
NAME_BPM_AGREEMENT = 0.03  # A bare number counts as the BPM within 3 % of the audio's.
BPM_IN_NAME = re.compile(r"(?<![\d.])(\d{2,3}(?:\.\d{1,2})?)(?![\d.])")


@dataclass(frozen=True)
class KindDecision:
    """Loop or one-shot with a confidence, and for loops the tempo."""

    kind: str
    confidence: float
    bpm: float | None = None
    bpm_confidence: float | None = None


def loop_probability(sound: Measurements, tempo: rhythm.Tempo | None) -> float:
    """0..1 from onset count, grid fit, periodicity, spread of onsets and sustain.

    Soft hits on the tempo's grid count with the onsets: a one-drop bar may
    hold only three hits loud enough to be onsets, and its hats between them.
    """
    times = sound.onsets.times
    if tempo is None or len(times) < 3:
        # Without a rhythm a decaying sound is surely a one-shot; a sustained one
        # (a pad, a drone) may still be a loop, so leave room for the name to say so.
        return 0.05 if sound.envelope.end_to_peak_db < -20 else 0.3
    spread = (times.max() - times.min()) / sound.duration if sound.duration > 0 else 0.0
    evidence = (
        ramp(tempo.grid_fit, 0.5, 0.9),
        ramp(tempo.periodicity, 0.05, 0.35),
        ramp(spread, 0.4, 0.75),
        ramp(sound.envelope.end_to_peak_db, -35, -15),
    )
    enough = 4 if _sparse_bar(tempo, sound.duration, spread) else 5
    hits = len(times) + rhythm.soft_hits_on_grid(sound.onsets, tempo.bpm)
    return ramp(hits, 2, enough) * sum(evidence) / len(evidence)


def _sparse_bar(tempo: rhythm.Tempo, duration: float, spread: float) -> bool:
    """Whether a few onsets fill a whole number of beats, from start to end, on the grid.

    Then four onsets make a loop (a bar of four kicks) where five are needed
    otherwise; four onsets bunched in the first half of a held chord do not.
    """
    whole = tempo.bars > 0 or rhythm.whole_beats(duration, tempo.bpm)
    return whole and tempo.grid_fit >= rhythm.LOOP_GRID_FIT and spread >= SPARSE_BAR_SPREAD


def decide(sound: Measurements, name_hint: str, name_kind: str | None, tempo_range) -> KindDecision:
    """Loop or one-shot, and for loops the tempo, from the audio with the name's help."""
    tempo, tempo_confidence = None, 0.0
    if not sound.silent and rhythm.has_pulse(sound.onsets):
        candidates = rhythm.tempo_candidates(sound.onsets, sound.duration, tempo_range)
        # Only drums have a backbeat: in a melody or an arpeggio the "snares"
        # between beats are notes, and the beat level is the pulse's own.
        drums = sound.harmonic_ratio < rhythm.DRUMS_BELOW_HARMONIC_RATIO
        tempo, tempo_confidence = rhythm.choose_tempo(
            candidates, sound.onsets if drums else None, None if drums else sound.chroma
        )
    probability = loop_probability(sound, tempo)
    kind = "loop" if probability >= 0.5 else "one-shot"
    confidence = 0.5 + abs(probability - 0.5)
    if name_kind is not None and name_kind != kind and confidence < NAME_OVERRIDES_BELOW:
        kind, confidence = name_kind, 0.6
    elif name_kind == kind:
        confidence = min(1.0, confidence + 0.15)
    if kind == "one-shot":
        return KindDecision(kind, round(confidence, 3))
    bpm = tempo.bpm if tempo else None
    named = bpm_from_name(name_hint, sound.duration, bpm)
    if named is not None:
        bpm, tempo_confidence = named, max(tempo_confidence, 0.9)
    if bpm is None:
        return KindDecision(kind, round(confidence, 3))
    return KindDecision(kind, round(confidence, 3), round(bpm, 2), round(tempo_confidence, 3))


def bpm_from_name(name: str, duration: float, audio_bpm: float | None) -> float | None:
    """A tempo written in the file name, if it fits the loop's length (whole bars)."""
    marked = re.search(r"(\d{2,3}(?:\.\d{1,2})?)\s*bpm|bpm\s*(\d{2,3}(?:\.\d{1,2})?)", name, re.I)
    numbers = [float(marked.group(1) or marked.group(2))] if marked else []
    if not numbers and audio_bpm:
        # A bare number only counts when the audio heard about the same tempo.
        numbers = [float(n) for n in BPM_IN_NAME.findall(name)]
        numbers = [
            n for n in numbers if n > 0 and abs(math.log(n / audio_bpm)) <= NAME_BPM_AGREEMENT
        ]
    for bpm in numbers:
        if 40 <= bpm <= 300 and _fits_whole_bars(bpm, duration):
            return bpm
    return None


def _fits_whole_bars(bpm: float, duration: float) -> bool:
    for bars in rhythm.BAR_COUNTS:
        tail = duration - 240 * bars / bpm
        if -0.01 <= tail <= rhythm.MAX_TAIL_SECONDS:
            return True
    return False

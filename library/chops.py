"""Where to cut a loop into slices: at its attacks, in equal parts, on its beats, or by hand.

Pure computation on frame positions (the loop file's own frames). A chop is
the list of cuts inside the loop; slice n runs from cut n - 1 (or the start)
to cut n (or the end), so slices always cover the loop end to end, as the
SP-404MK2's own chop does.
"""

from itertools import pairwise

import numpy as np

# Each slice edge fades over 2 ms. A cut through a sounding wave is a step, which
# the ear hears as a click; a 2 ms ramp removes it (it lets through nothing of
# the step above a few hundred hertz), yet is far shorter than a drum's attack
# (5-20 ms to its peak), so a hit cut at its onset keeps its punch.
FADE_MS = 2.0
# Below this a slice is a blip, not a sound: cuts closer than this are merged.
MIN_SLICE_MS = 10.0
MAX_SLICES = 64
DIVISIONS = (2, 4, 8, 16)
# How far a cut may move to reach a zero crossing: 1 ms either side.
ZERO_CROSSING_REACH_MS = 1.0
# Transients: attacks this strong against the loop's strongest, per sensitivity.
TRANSIENT_LEVELS = {"low": 0.5, "medium": 0.25, "high": 0.1}


def frames_of(milliseconds: float, sample_rate: int) -> int:
    return max(1, round(milliseconds * sample_rate / 1000))


def equal_parts(frames: int, count: int) -> list[int]:
    """Cuts that divide the loop into ``count`` slices of equal length."""
    return [round(frames * index / count) for index in range(1, count)]


def on_beats(frames: int, sample_rate: int, bpm: float, per_beat: int = 1) -> list[int]:
    """Cuts on every beat (``per_beat`` 2: every half beat) of the loop's tempo."""
    step = sample_rate * 60 / bpm / per_beat
    count = int(frames / step + 0.5)  # The last beat may be a few frames short of the end.
    return [round(step * index) for index in range(1, min(count, MAX_SLICES))]


def at_transients(onsets, sample_rate: int, frames: int, level: str = "medium") -> list[int]:
    """Cuts at the attacks the analysis found at least as strong as the sensitivity asks.

    ``onsets`` are [seconds, strength relative to the strongest] pairs.
    """
    least = TRANSIENT_LEVELS.get(level, TRANSIENT_LEVELS["medium"])
    return [round(seconds * sample_rate) for seconds, strength in onsets if strength >= least]


def cleaned(cuts, frames: int, sample_rate: int) -> list[int]:
    """Cuts sorted, inside the loop, at least MIN_SLICE_MS apart (and from either end),
    at most MAX_SLICES - 1 of them; the earlier of two close cuts is kept."""
    shortest = frames_of(MIN_SLICE_MS, sample_rate)
    kept: list[int] = []
    for cut in sorted({int(cut) for cut in cuts}):
        if cut < shortest or cut > frames - shortest:
            continue
        if kept and cut - kept[-1] < shortest:
            continue
        kept.append(cut)
    return kept[: MAX_SLICES - 1]


def ranges(cuts, frames: int) -> list[tuple[int, int]]:
    """(start, end) of each slice for cleaned cuts."""
    edges = [0, *cuts, frames]
    return list(pairwise(edges))


def to_zero_crossings(mono: np.ndarray, cuts, sample_rate: int) -> list[int]:
    """Each cut moved to the nearest zero crossing within ZERO_CROSSING_REACH_MS, if any."""
    reach = frames_of(ZERO_CROSSING_REACH_MS, sample_rate)
    moved = []
    for cut in cuts:
        low, high = max(cut - reach, 1), min(cut + reach, len(mono) - 1)
        window = mono[low - 1 : high + 1]
        # The sign changes between frames i and i + 1: the quieter of the two is the crossing.
        before = np.flatnonzero(np.signbit(window[:-1]) != np.signbit(window[1:]))
        if before.size:
            quieter = np.abs(window[before + 1]) < np.abs(window[before])
            positions = before + quieter + low - 1
            moved.append(int(positions[np.abs(positions - cut).argmin()]))
        else:
            moved.append(int(cut))
    return moved


def fade_in_gains(fade: int, first: int, stop: int) -> np.ndarray:
    """Gains for frames first..stop-1 of a fade-in ``fade`` frames long, as a float32 column."""
    # A raised cosine rather than a straight ramp: it leaves zero and reaches full
    # level with zero slope, so neither end of a short declick fade adds a corner
    # (a faint click of its own), and two half-slice fades meet smoothly.
    phase = np.arange(first, stop) * (np.pi / fade)
    return (0.5 - 0.5 * np.cos(phase)).astype(np.float32)[:, None]


def fade_edges(block: np.ndarray, fade_frames: int) -> np.ndarray:
    """Fade a slice's (frames, channels) audio in and out over ``fade_frames``, in place."""
    fade_frames = min(fade_frames, len(block) // 2)
    if fade_frames > 0:
        ramp = fade_in_gains(fade_frames, 0, fade_frames)
        block[:fade_frames] *= ramp
        block[len(block) - fade_frames :] *= ramp[::-1]
    return block

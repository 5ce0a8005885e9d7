"""Onsets and the tempo of loops.

Tempo of a loop: the file's length fixes the exact value once the number of
bars is known (n bars of 4/4 last 240 * n / bpm seconds), and the audio decides
the number of bars.  For each plausible bar count the loop length L (the file
length minus a possible tail of decay) is found where the onsets fall best on a
sixteenth-note grid of L / 16n; the bar count whose beat period (or, at half
weight, bar period; half-bar in a one-bar loop) shows the strongest periodicity
in the onset envelope, inside the preferred tempo range, wins.  Octave ambiguity
is settled first by taking the fastest tempo whose periodicity is nearly as
strong as the best, because a beat level repeats at every multiple of itself
while its subdivision does not; then by the backbeat: the beat is the slowest
level at which no snare falls between beats (a snare on every other beat marks
the beat; a crash on the bar line marks only the bar), whose sixteenths
(straight, swung or in triplets) still hold the onsets, and no beat holds more
than six steady onsets; and a level at which the loud kicks (where they stand
apart in the low band; else the kicks and the snares) come only every other
bar is too fast.  A fill is heard as a fill: the backbeat is judged in the bar
where it is clearest.  Only drums have a backbeat: in a loop as tonal as a
melody the harmony has the say instead, as chords change at the bar line: a
slower octave of the first choice whose bars hold their harmony while it
changes across their bar lines clearly more than the first choice's is the
tempo (an arpeggio at 82 is not a pulse at 164 whose chords last two bars),
and with one chord throughout the first choice stands.  A tempo from the
rhythm alone that does not fit a whole number of beats into a clear loop is
all but ruled out, and one that would make the loop shorter than a bar (of
three beats) is not considered: a one-bar half-time loop is not half a bar at
half its tempo.  A sound needs a few real attacks to have a tempo at all: the
wobble of a held pad or string is no pulse.
"""

import dataclasses
import math
from dataclasses import dataclass

import librosa
import numpy as np
from scipy import ndimage

from library.analysis import spectral

MIN_ONSET_STRENGTH = 0.06  # Share of a full-level attack from silence.
MIN_ONSET_RELATIVE = 0.1  # ... and of the file's strongest onset.
ONSET_SPACING_SECONDS = 0.05
# Soft hits reach a third of the onset threshold; they count only on a tempo's grid.
SOFT_ONSET_SHARE = 1 / 3
SOFT_GRID_WINDOW = 0.15  # Share of a grid step either side of a grid line that counts as on it.
SOFT_ON_GRID_SHARE = 0.8  # ... and of them on one grid for any to count.
BAR_COUNTS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)
MAX_TAIL_SECONDS = 0.3
EXACT_LENGTH_AGREEMENT = 0.95  # R(file length) / best R for the length to be exact.
WHOLE_BPM_AGREEMENT = 0.98
NEAR_BEST = 0.75
RANGE_SOFTNESS_OCTAVES = 0.05  # Tempos just outside the preferred range fade out fast.
MAX_ONSETS_FOR_GRID = 512
FREE_PEAKS = 3
FREE_PRIOR = 0.9  # A tempo that does not fit the file's length is a little less likely.
BAR_PULSE_WEIGHT = 0.5  # A bar's recurrence counts for half a beat's: any repeated figure has one.
OFF_LOOP_PRIOR = (
    0.3  # ... and much less when its beats do not fit the loop a whole number of times.
)
WHOLE_BEAT_TOLERANCE = 0.1  # Beats.
MIN_LOOP_BEATS = 3  # A loop holds a bar at least: of 3/4, if not of 4/4.
LOOP_GRID_FIT = 0.9  # Grid fit of the best whole-bar hypothesis for the file to be a loop.
ACF_BLUR_FRAMES = 1.0
HOLD_FRAMES = 7  # 20 ms of 2.9 ms envelope frames: one period of a 50 Hz note.
LOUDNESS_EXPONENT = 0.3  # Stevens' power law: loudness grows as power^0.3.
BAND_EDGES_HZ = (150.0, 2500.0)  # Kick and bass | snare, clap and toms | hats and cymbals.
BODY_BAND = 1  # Column of band_strengths for 150-2500 Hz; 0 is below, 2 above.
OCTAVE_FLOOR = 0.3  # Share of the best score an octave needs for the backbeat to choose it.
MAX_OFFBEAT_SHARE = 0.5
# How much more alike (cosine of half-bar pitch classes) a bar's halves must be
# than the halves either side of its bar lines, over the first choice's, to move there.
HARMONY_MARGIN = 0.1
MAX_ONSETS_PER_BEAT = 6  # Steady onsets per beat at most: sixteenth-note triplets.
SWING_DELAYS = (0.1, 0.2, 0.3)  # Off-beat sixteenths late by this share of a step: swing 55-65 %.
ACCENT_SHARE = 0.5  # An accent is an onset at least half as strong as the loudest.
CLEAR_KICK = 0.05  # A kick's attack in the low band: a twentieth of full level from silence.
KICKS_APART = 0.25  # ... and nothing else there above a quarter of the loudest kick.
ACCENTLESS_BEATS = 7.5  # Beats without an accent that make two bars: the level is too fast.
BEAT_WINDOW = 0.15  # Share of a beat either side of it (and of the off-beat) that counts as on it.
BAR_SLACK = 0.25  # Share of a bar a tail or a cut may add or take before it counts as one.
PULSE_ONSET_STRENGTH = (
    0.15  # An attack adding 15 % of full loudness: more than a held sound's wobble.
)
MIN_PULSE_ONSETS = 3
STRONG_PULSE_ONSET_STRENGTH = 0.3  # ... or two attacks of 30 % and softer ones: a sparse bar.
STEADY_PULSE_ONSETS = 6  # ... or six onsets of any strength, evenly spaced: a bar of soft hats.
# A loop this tonal has no drums to follow: drum loops' tonal share measured
# 0.50-0.85 (5th to 95th percentile), drums under music as loud 0.63-0.88 (0.90
# at the 99th), tonal loops 0.71-0.99 (median 0.93).  Above it the backbeat
# rules cost tonal loops 2.4 points (83.8% -> 86.2% within 0.5 BPM without them).
DRUMS_BELOW_HARMONIC_RATIO = 0.92
STEADY_SPACING = 0.06  # Each gap within 6 % of the others at its place (straight or swung).


@dataclass(frozen=True)
class Onsets:
    """Onset times (s) and strengths, and the per-frame onset envelope."""

    times: np.ndarray
    strengths: np.ndarray
    envelope: np.ndarray
    frame_rate: float
    band_strengths: np.ndarray | None = None  # Per onset, its strength in each band.


@dataclass(frozen=True)
class Tempo:
    """A tempo hypothesis: bars, exact bpm, and how well the audio supports it."""

    bpm: float
    bars: int
    grid_fit: float
    periodicity: float
    score: float
    range_weight: float = 1.0  # 1 inside the preferred range, fading to 0 outside it.


def onset_envelope(mel: np.ndarray, mel_freqs: np.ndarray) -> np.ndarray:
    """Loudness flux per frame: row 0 for the whole sound, then one row per band of BAND_EDGES_HZ.

    Scaled so that a full-level attack from silence is about 1.  Bands are
    A-weighted and compressed as loudness is, so that a soft hi-hat between
    kicks and snares counts for less: the beat level is told from its
    subdivision by these accents.  The bands (kick and bass; snare, clap and
    toms; hats and cymbals) tell the backbeat from the beat.
    """
    ear = librosa.db_to_power(librosa.A_weighting(mel_freqs, min_db=None))
    weighted = mel * ear
    top = float(weighted.max())
    if top <= 0:
        return np.zeros((len(BAND_EDGES_HZ) + 2, len(mel)))
    loudness = (weighted / top) ** LOUDNESS_EXPONENT
    rises = _rises(loudness)
    whole = rises.sum(axis=1) / loudness.sum(axis=1).max()
    # The bands are compared with each other, so without the ear's weighting,
    # which would leave a kick drum nearly nothing below 150 Hz; undoing it
    # per band costs a product, not a second compression of the spectrogram.
    unweighting = np.divide(1.0, ear, out=np.zeros_like(ear), where=ear > 0) ** LOUDNESS_EXPONENT
    band_of = np.searchsorted(BAND_EDGES_HZ, mel_freqs)
    in_band = (band_of[:, None] == np.arange(len(BAND_EDGES_HZ) + 1)) * unweighting[:, None]
    scale = max(float((loudness @ unweighting).max()), 1e-30)
    return np.vstack([whole, (rises @ in_band).T / scale])


def _rises(loudness: np.ndarray) -> np.ndarray:
    # A silent frame first, so that a sound starting with the file is an attack.
    before = np.zeros((1, loudness.shape[1]), loudness.dtype)
    return np.maximum(np.diff(loudness, axis=0, prepend=before), 0.0)


def detect_onsets(envelope, frame_rate, fine_rms, fine_seconds) -> Onsets:
    """Peaks of the onset envelope, timed precisely on the fine RMS envelope."""
    bands = np.atleast_2d(envelope)
    envelope = bands[0]
    peaks = _peaks(envelope, frame_rate)
    frames = peaks[envelope[peaks] >= onset_threshold(envelope)]
    times = _refine_times(frames / frame_rate, fine_rms, fine_seconds)
    # A band's share of an attack may peak a frame before or after the whole.
    per_band = ndimage.maximum_filter1d(bands[1:], 3, axis=1, mode="nearest")[:, frames].T
    return Onsets(times, envelope[frames], envelope, frame_rate, per_band)


def onset_threshold(envelope: np.ndarray) -> float:
    """The least flux that counts as an onset: a clear attack, and not tiny beside the loudest."""
    return max(MIN_ONSET_STRENGTH, MIN_ONSET_RELATIVE * float(envelope.max(initial=0)))


def _peaks(envelope: np.ndarray, frame_rate: float) -> np.ndarray:
    """Frames where the envelope is highest within ONSET_SPACING_SECONDS either side."""
    spacing = max(1, int(ONSET_SPACING_SECONDS * frame_rate))
    padded = np.pad(envelope, spacing, constant_values=-1.0)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * spacing + 1)
    return np.flatnonzero(envelope >= windows.max(axis=1))


def soft_hits_on_grid(onsets: Onsets, bpm: float) -> int:
    """Peaks too soft to be onsets, when they fall on the sixteenths or triplet eighths of ``bpm``.

    A one-drop or a brush groove may keep its hats far under the kick and the
    rim: too soft to count as onsets, which would give a held sound's wobble a
    pulse, yet on the grid of the tempo the louder hits set, the sign of a
    loop.  They count only when nearly all of them are on one grid: a held
    chord's wobble puts some peaks on any grid by chance (three in ten within
    its window), never nearly all.  The grid starts at the first onset.
    """
    if onsets.times.size == 0 or bpm <= 0:
        return 0
    envelope = onsets.envelope
    threshold = onset_threshold(envelope)
    peaks = _peaks(envelope, onsets.frame_rate)
    level = envelope[peaks]
    soft = peaks[(level >= SOFT_ONSET_SHARE * threshold) & (level < threshold)]
    since = soft / onsets.frame_rate - onsets.times.min()
    since = since[since > 0]
    if since.size == 0:
        return 0
    on_grid = 0
    for step in (15.0 / bpm, 20.0 / bpm):  # Sixteenths, and eighth-note triplets.
        position = (since / step) % 1.0
        on_grid = max(
            on_grid, int(np.count_nonzero(np.minimum(position, 1 - position) < SOFT_GRID_WINDOW))
        )
    return on_grid if on_grid >= SOFT_ON_GRID_SHARE * since.size else 0


def _refine_times(coarse: np.ndarray, fine_rms: np.ndarray, fine_seconds: float) -> np.ndarray:
    # The flux of a 93 ms frame peaks up to half a window before or after the
    # attack; the sharpest rise of the 3 ms envelope nearby times it to a few ms.
    energy = np.concatenate(([0.0], np.square(held(fine_rms), dtype=np.float64), [0.0]))
    level_db = 10 * np.log10(energy + 1e-18)
    rise = np.diff(level_db)  # rise[i]: from fine frame i - 1 to frame i.
    refined = coarse.copy()
    for index, centre in enumerate(coarse):
        low = max(0, int((centre - 0.07) / fine_seconds))
        high = min(fine_rms.size, int((centre + 0.03) / fine_seconds) + 1)
        if high > low:
            frame = low + int(rise[low:high].argmax())
            refined[index] = (frame + _attack_fraction(energy, frame + 1)) * fine_seconds
    return refined


def held(fine_rms: np.ndarray) -> np.ndarray:
    """The level held at its maximum over the last 20 ms.

    A low note's short-time RMS ripples with every period, which would read as
    attacks; holding the maximum over at least one period removes the ripple
    while leaving the moment of a real attack where it is.
    """
    return ndimage.maximum_filter1d(
        fine_rms, HOLD_FRAMES, origin=HOLD_FRAMES // 2, mode="constant", cval=0.0
    )


def _attack_fraction(energy: np.ndarray, i: int) -> float:
    """Where in frame i the attack began, from how much of the new energy it holds."""
    before, during, after = energy[i - 1], energy[i], energy[min(i + 1, energy.size - 1)]
    gained = max(after, during) - before
    return float(np.clip(1 - (during - before) / gained, 0, 1)) if gained > 0 else 0.5


def circular_autocorrelation(envelope: np.ndarray) -> np.ndarray:
    """Autocorrelation treating the envelope as one period of a loop, r[0] = 1.

    The envelope is first blurred by about one frame: onsets are spikes, and a
    beat period that falls between two whole frames would otherwise read weaker.
    """
    envelope = ndimage.gaussian_filter1d(envelope, ACF_BLUR_FRAMES, mode="wrap")
    centred = envelope - envelope.mean()
    spectrum = np.fft.rfft(centred)
    result = np.fft.irfft(np.abs(spectrum) ** 2, centred.size)
    return result / result[0] if result[0] > 0 else np.zeros_like(result)


def periodicity_at(acf: np.ndarray, lag_frames: float) -> float:
    """Autocorrelation at a fractional lag (linear interpolation, circular)."""
    if acf.size < 2 or lag_frames >= acf.size:
        return 0.0
    low = math.floor(lag_frames)
    share = lag_frames - low
    return float((1 - share) * acf[low] + share * acf[(low + 1) % acf.size])


def grid_fit(times, weights, steps: np.ndarray) -> np.ndarray:
    """Weighted phase coherence of the onsets on grids of the given step lengths (s).

    1 when every onset falls on the grid, near 0 when they are spread evenly.
    """
    phases = (2 * np.pi) * times[None, :] / steps[:, None]
    real = np.cos(phases) @ weights
    imaginary = np.sin(phases) @ weights
    return np.hypot(real, imaginary) / weights.sum()


def swung_fit(times, weights, step: float) -> float:
    """Grid fit on sixteenths of ``step`` seconds whose off-beat ones come late, as swing has them.

    The eighth notes are not swung, so their grid sets the phase; each delay of
    SWING_DELAYS is tried by stretching the first part of every eighth note
    over half of it, and the best fit counts.
    """
    eighths = 2 * step
    phase = float(np.angle(np.exp(2j * np.pi * times / eighths) @ weights)) / (2 * np.pi)
    within = (times / eighths - phase) % 1.0
    best = 0.0
    for delay in SWING_DELAYS:
        late = (1 + delay) / 2  # Where the swung sixteenth falls in its eighth note.
        straight = np.where(
            within < late, 0.5 * within / late, 0.5 + 0.5 * (within - late) / (1 - late)
        )
        best = max(best, float(np.abs(np.exp(4j * np.pi * straight) @ weights) / weights.sum()))
    return best


def sixteenths_fit(onsets: Onsets, bpm: float) -> float:
    """How well the onsets fall on sixteenth notes of ``bpm``: straight, swung or in triplets."""
    order = np.argsort(onsets.strengths)[::-1][:MAX_ONSETS_FOR_GRID]
    times, weights = onsets.times[order], onsets.strengths[order]
    step = 15.0 / bpm
    straight, triplets = grid_fit(times, weights, np.array([step, step * 4 / 3]))
    return max(float(straight), float(triplets), swung_fit(times, weights, step))


def _loop_fit(times, weights, lengths: np.ndarray, bars: int) -> np.ndarray:
    # Sixteenths suit straight rhythms; eighth-note triplets suit shuffles.
    straight = grid_fit(times, weights, lengths / (16 * bars))
    shuffled = grid_fit(times, weights, lengths / (12 * bars))
    return np.maximum(straight, shuffled)


def fit_length(times, weights, duration: float, bars: int) -> tuple[float, float]:
    """The loop length (file length minus any tail) that best fits ``bars`` bars, and its fit."""
    shortest = max(duration - MAX_TAIL_SECONDS, 0.75 * duration)
    coarse = np.arange(duration + 0.004, shortest, -0.002)
    fits = _loop_fit(times, weights, coarse, bars)
    centre = coarse[int(fits.argmax())]
    fine = np.arange(centre - 0.002, centre + 0.002, 0.00025)
    fine_fits = _loop_fit(times, weights, fine, bars)
    best_fit = float(max(fine_fits.max(), fits.max()))
    best_length = float(fine[int(fine_fits.argmax())])
    exact = float(_loop_fit(times, weights, np.array([duration]), bars)[0])
    if exact >= EXACT_LENGTH_AGREEMENT * best_fit:
        return duration, exact
    return _whole_bpm_length(times, weights, best_length, best_fit, bars), best_fit


def _whole_bpm_length(times, weights, length: float, fit: float, bars: int) -> float:
    # With a tail the length no longer fixes the tempo; producers almost always
    # work at whole BPMs, so take one when the onsets fit it as well.
    bpm = 240 * bars / length
    candidates = np.array([math.floor(bpm), math.ceil(bpm)], dtype=float)
    lengths = 240 * bars / candidates
    fits = _loop_fit(times, weights, lengths, bars)
    best = int(fits.argmax())
    return float(lengths[best]) if fits[best] >= WHOLE_BPM_AGREEMENT * fit else length


def _range_weight(bpm: float, tempo_range) -> float:
    low, high = tempo_range
    outside = max(math.log2(low / bpm), math.log2(bpm / high), 0.0)
    return math.exp(-0.5 * (outside / RANGE_SOFTNESS_OCTAVES) ** 2)


def tempo_candidates(onsets: Onsets, duration: float, tempo_range) -> list[Tempo]:
    """Hypotheses from whole bars of the file's length, and from the rhythm alone."""
    order = np.argsort(onsets.strengths)[::-1][:MAX_ONSETS_FOR_GRID]
    times, weights = onsets.times[order], onsets.strengths[order]
    whole_bars = bar_candidates(onsets, times, weights, duration, tempo_range)
    # A file that is not a whole number of bars (or has an odd count, like 20)
    # still has a tempo; such hypotheses lose to exact ones at the same tempo.
    free = [
        candidate
        for candidate in free_candidates(onsets, times, weights, tempo_range)
        if all(abs(math.log(candidate.bpm / exact.bpm)) > 0.02 for exact in whole_bars)
    ]
    fitting = [c for c in whole_bars if c.grid_fit >= LOOP_GRID_FIT and c.range_weight > 0.5]
    fitted = max(fitting, key=lambda candidate: candidate.score, default=None)
    if fitted is not None:
        # A loop holds a whole number of beats: in a one-bar loop at 135 the
        # kicks' dotted quarters (90 BPM) recur, but do not fit 2.67 times in it;
        # nor does a bass line's dotted figure, however weak its beat.
        loop_seconds = 240 * fitted.bars / fitted.bpm
        # Nor is a loop shorter than a bar: in a one-bar half-time loop the
        # kick and the snare on 3 recur every half bar, at half the tempo.
        shortest = MIN_LOOP_BEATS - WHOLE_BEAT_TOLERANCE
        free = [c for c in free if c.bpm * loop_seconds / 60 >= shortest]
        free = [
            candidate
            if whole_beats(loop_seconds, candidate.bpm)
            else dataclasses.replace(candidate, score=candidate.score * OFF_LOOP_PRIOR)
            for candidate in free
        ]
    return whole_bars + free


def whole_beats(seconds: float, bpm: float) -> bool:
    """Whether ``seconds`` hold a whole number of beats of ``bpm`` (within a tenth of a beat)."""
    beats = seconds * bpm / 60
    return abs(beats - round(beats)) <= WHOLE_BEAT_TOLERANCE


def bar_candidates(onsets, times, weights, duration, tempo_range) -> list[Tempo]:
    """One hypothesis per plausible bar count, scored by grid fit and periodicity."""
    low, high = tempo_range
    candidates = []
    for bars in BAR_COUNTS:
        if not low / 2 <= 240 * bars / duration <= high * 2:
            continue
        length, fit = fit_length(times, weights, duration, bars)
        bpm = 240 * bars / length
        # One period of the loop, without its tail, so the autocorrelation wraps cleanly.
        period = onsets.envelope[: max(2, round(length * onsets.frame_rate))]
        acf = circular_autocorrelation(period)
        periodicity = periodicity_at(acf, 60 / bpm * onsets.frame_rate)
        # A syncopated figure (a bass line's dotted notes, a trap kick) barely
        # repeats at the beat, but it does at the bar; a one-bar loop's bar
        # always repeats, so there its half counts.
        bar_lag = (240 if bars > 1 else 120) / bpm * onsets.frame_rate
        periodicity = max(periodicity, BAR_PULSE_WEIGHT * periodicity_at(acf, bar_lag))
        prior = 1.0 if bars & (bars - 1) == 0 else 0.85
        in_range = _range_weight(bpm, tempo_range)
        score = max(periodicity, 0.0) * fit * prior * in_range
        candidates.append(Tempo(round(bpm, 3), bars, fit, periodicity, score, in_range))
    return candidates


def free_candidates(onsets: Onsets, times, weights, tempo_range) -> list[Tempo]:
    """Tempos of the strongest autocorrelation peaks in range, refined on the onsets."""
    acf = circular_autocorrelation(onsets.envelope)
    low, high = tempo_range
    shortest = max(2, math.ceil(60 / high * onsets.frame_rate))
    longest = min(acf.size - 2, math.floor(60 / low * onsets.frame_rate))
    lags = np.arange(shortest, longest + 1)
    if lags.size == 0:
        return []
    is_peak = (acf[lags] >= acf[lags - 1]) & (acf[lags] >= acf[lags + 1])
    peaks = lags[is_peak][np.argsort(acf[lags][is_peak])[::-1][:FREE_PEAKS]]
    candidates = []
    for lag in peaks:
        bpm, fit = _refine_bpm(times, weights, 60 * onsets.frame_rate / lag)
        periodicity = periodicity_at(acf, 60 / bpm * onsets.frame_rate)
        in_range = _range_weight(bpm, tempo_range)
        score = max(periodicity, 0.0) * fit * FREE_PRIOR * in_range
        candidates.append(Tempo(round(bpm, 3), 0, fit, periodicity, score, in_range))
    return candidates


def _refine_bpm(times, weights, bpm: float) -> tuple[float, float]:
    """The tempo near ``bpm`` (within a frame's worth) whose grid the onsets fit best."""
    for spread, count in ((0.04, 161), (0.0005, 41)):
        tried = bpm * (1 + np.linspace(-spread, spread, count))
        beats = 60 / tried
        fits = np.maximum(grid_fit(times, weights, beats / 4), grid_fit(times, weights, beats / 3))
        bpm = float(tried[int(fits.argmax())])
    whole = float(round(bpm))
    whole_fit = _loop_fit(times, weights, np.array([240.0 / whole]), 1)[0] if whole else 0.0
    best_fit = float(fits.max())
    return (
        (whole, float(whole_fit))
        if whole_fit >= WHOLE_BPM_AGREEMENT * best_fit
        else (bpm, best_fit)
    )


def has_pulse(onsets: Onsets) -> bool:
    """Whether the sound has attacks to count a tempo from, not just a held sound's wobble.

    Three clear attacks make a pulse; so do two strong ones among softer onsets
    (a kick and a snare under quiet hats), which a held sound never has, and a
    steady run of soft ones (a one-drop's hats around its one loud hit).
    """
    strengths = onsets.strengths
    if np.count_nonzero(strengths >= PULSE_ONSET_STRENGTH) >= MIN_PULSE_ONSETS:
        return True
    strong = np.count_nonzero(strengths >= STRONG_PULSE_ONSET_STRENGTH)
    return (strong >= 2 and strengths.size >= MIN_PULSE_ONSETS) or steady(onsets.times)


def steady(times: np.ndarray) -> bool:
    """Whether the onsets come evenly: every other gap alike, so straight or swung."""
    if times.size < STEADY_PULSE_ONSETS:
        return False
    gaps = np.diff(times)
    for alike in (gaps[0::2], gaps[1::2]):
        typical = float(np.median(alike))
        if typical <= 0 or np.any(np.abs(alike - typical) > STEADY_SPACING * typical):
            return False
    return True


def choose_tempo(
    candidates: list[Tempo],
    onsets: Onsets | None = None,
    harmony: spectral.PitchClasses | None = None,
) -> tuple[Tempo | None, float]:
    """The fastest nearly-best hypothesis, moved to where the beat is; and a confidence (0..1).

    The backbeat of drums (``onsets``) or the chord changes of a tonal loop
    (``harmony``) move it.
    """
    if not candidates:
        return None, 0.0
    best = max(candidate.score for candidate in candidates)
    if best <= 0:
        return None, 0.0
    near = [candidate for candidate in candidates if candidate.score >= NEAR_BEST * best]
    # The preferred range chooses between octaves: one just past its edge loses
    # to a nearly-as-good one inside it.
    chosen = max([c for c in near if _inside(c)] or near, key=lambda candidate: candidate.bpm)
    if onsets is not None and onsets.band_strengths is not None:
        chosen = follow_backbeat(chosen, candidates, best, onsets)
        chosen = accent_every_bar(chosen, candidates, onsets)
    elif harmony is not None and harmony.frames is not None:
        chosen = follow_harmony(chosen, candidates, best, harmony)
    rivals = [c.score for c in candidates if abs(math.log2(c.bpm / chosen.bpm)) > 0.05]
    ambiguity = min(1.0, max(rivals, default=0.0) / chosen.score) if chosen.score > 0 else 1.0
    # The pulse is as clear as at the octave where it repeats best: the backbeat
    # may have moved the beat to a level syncopation leaves weakly periodic.
    pulse = max(c.periodicity for c in candidates if _octave_apart(c.bpm, chosen.bpm))
    confidence = chosen.grid_fit * math.sqrt(max(pulse, 0.0)) * (1 - ambiguity / 2)
    return chosen, float(np.clip(confidence, 0.0, 1.0))


def follow_backbeat(chosen: Tempo, candidates: list[Tempo], best: float, onsets: Onsets) -> Tempo:
    """The octave of ``chosen`` whose beats carry the snares, the slowest such one.

    Kick and snare alternate on the beats (the snare on every other beat), so at
    half the tempo the snares fall half-way between beats, and at double the
    tempo they fall on every fourth beat; the beat is the slowest level at
    which no snare falls between beats (in the bar where that is clearest: a
    fill is not the groove).  A level with as much between beats as on them (an
    arpeggio, sixteenth-note hats) is not told apart this way, and keeps
    ``chosen``.  No beat holds more than a sextuplet's worth of steady onsets:
    trap hats in sixteenths are not thirty-second notes of half the tempo, and
    a level whose sixteenths miss the onsets that a faster level's hold is too
    slow.  Syncopation weakens the periodicity at a fast beat, so when
    ``chosen`` puts a snare between beats or misses the grid, any octave that
    fits whole bars in the preferred range is heard out, however weak.
    """
    on_grid = {c.bpm for c in candidates if sixteenths_fit(onsets, c.bpm) >= LOOP_GRID_FIT}
    doubtful = (
        chosen.bpm not in on_grid
        or offbeat_share(onsets, chosen.bpm, chosen.bpm) > MAX_OFFBEAT_SHARE
    )
    octaves = [
        c
        for c in candidates
        if _octave_apart(c.bpm, chosen.bpm)
        and (_inside(c) or not _inside(chosen))  # Not out of the preferred range.
        and (
            c.score >= OCTAVE_FLOOR * best
            or (doubtful and c.bars and c.range_weight > 0.5 and c.bpm in on_grid)
        )
    ]
    spacing = float(np.median(np.diff(np.sort(onsets.times)))) if onsets.times.size > 2 else 0.0
    allowed = [c for c in octaves if 60 / c.bpm <= MAX_ONSETS_PER_BEAT * spacing]
    finest = max((c.bpm for c in allowed if c.bpm in on_grid), default=0.0)
    allowed = [c for c in allowed if c.bpm in on_grid or c.bpm > finest]
    if not allowed:
        return chosen
    on_beat = [c for c in allowed if offbeat_share(onsets, c.bpm, chosen.bpm) <= MAX_OFFBEAT_SHARE]
    if chosen in on_beat or (on_beat and chosen not in allowed):
        return min(on_beat, key=lambda candidate: candidate.bpm)
    faster = [candidate for candidate in on_beat if candidate.bpm > chosen.bpm]
    if faster:
        return min(faster, key=lambda candidate: candidate.bpm)
    return chosen if chosen in allowed else min(allowed, key=lambda candidate: candidate.bpm)


def accent_every_bar(chosen: Tempo, candidates: list[Tempo], onsets: Onsets) -> Tempo:
    """Half of ``chosen`` when its loud hits leave two bars between them.

    Every bar has an accent; a one-drop's kick and rim on 3 come once a bar,
    and at double its tempo they would come once in two.  The loop's opening
    hit, often louder than the rest (a crash, the phrase's first beat), is
    left out when there are others.  Kicks that stand apart in the low band
    decide alone: a side-stick is often no louder than the hats around it.
    """
    if onsets.times.size == 0:
        return chosen
    duration = onsets.envelope.size / onsets.frame_rate
    order = np.argsort(onsets.times)
    hits = order[1:] if order.size > 1 else order
    for band in (0, BODY_BAND):  # Kicks, and snares and toms: not the hats and cymbals.
        strengths = onsets.band_strengths[hits, band]
        accents = np.sort(onsets.times[hits][strengths >= ACCENT_SHARE * strengths.max()])
        gaps = np.diff(np.append(accents, accents[0] + duration))
        if gaps.max() * chosen.bpm / 60 < ACCENTLESS_BEATS:
            return chosen
        if band == 0 and _kicks_stand_apart(strengths):
            break  # The kicks tell alone: lo-fi hats may fill the body band with accents.
    half = [
        c
        for c in candidates
        if abs(math.log2(chosen.bpm / c.bpm) - 1) < 0.03
        and c.range_weight > 0.5
        and sixteenths_fit(onsets, c.bpm) >= LOOP_GRID_FIT
    ]
    return max(half, key=lambda candidate: candidate.score, default=chosen)


def follow_harmony(
    chosen: Tempo, candidates: list[Tempo], best: float, harmony: spectral.PitchClasses
) -> Tempo:
    """A slower octave of ``chosen`` at whose bar lines the chords change, if one stands out.

    ``chosen`` is the fastest level that repeats nearly as well as the best, so
    an arpeggio's eighths can pass for a beat whose chords last two bars; the
    harmony only ever slows it down, as chords changing twice a bar are as
    common as once.  Only whole-bar hypotheses inside the preferred range with a
    fair score compete, and one only wins by HARMONY_MARGIN: a loop of one chord
    tells no level from another and keeps ``chosen``.
    """
    octaves = [
        c
        for c in candidates
        if c.bars
        and _inside(c)
        and c.score >= OCTAVE_FLOOR * best
        and _octave_apart(c.bpm, chosen.bpm)
        and c.bpm <= chosen.bpm
    ]
    standing = bar_line_contrast(harmony.frames, harmony.frame_rate, chosen.bpm)
    if standing is None:
        return chosen
    contrasts = {
        c.bpm: bar_line_contrast(harmony.frames, harmony.frame_rate, c.bpm) for c in octaves
    }
    rivals = [
        c
        for c in octaves
        if contrasts[c.bpm] is not None and contrasts[c.bpm] > standing + HARMONY_MARGIN
    ]
    return max(rivals, key=lambda candidate: contrasts[candidate.bpm], default=chosen)


def bar_line_contrast(frames: np.ndarray, frame_rate: float, bpm: float) -> float | None:
    """How much more alike a bar's two halves are than the halves either side of a bar line.

    Pitch classes are summed over each half bar of the loop's whole bars from
    the file's start (where a loop starts on its downbeat; a tail past them is
    left out) and compared by cosine; the loop plays round, so the last bar's
    end meets the first bar's start.  A silent half (a rest) compares with
    nothing.  None under two bars, or with nothing to compare on either side.
    """
    half = 120 / bpm * frame_rate
    count = math.floor(frames.shape[0] / (2 * half) + BAR_SLACK)
    if count < 2:
        return None
    edges = np.minimum(np.round(np.arange(2 * count + 1) * half).astype(int), frames.shape[0])
    halves = np.add.reduceat(frames[: edges[-1]], edges[:-1], axis=0)
    norms = np.linalg.norm(halves, axis=1)
    heard = norms > 0
    halves = halves / np.where(heard, norms, 1.0)[:, None]
    alike = np.sum(halves * np.roll(halves, -1, axis=0), axis=1)  # Each half with the next.
    both = heard & np.roll(heard, -1)
    within, across = alike[0::2][both[0::2]], alike[1::2][both[1::2]]
    if within.size == 0 or across.size == 0:
        return None
    return float(within.mean() - across.mean())


def _kicks_stand_apart(low: np.ndarray) -> bool:
    """Whether the loud hits of the low band are kicks: clear, with nothing near them in level.

    A bass line's notes come in every level between its loudest and softest;
    a kit's kicks stand well above what the other drums leave in the band.
    """
    loudest = float(low.max(initial=0.0))
    quiet = low[low < ACCENT_SHARE * loudest]
    return loudest >= CLEAR_KICK and float(quiet.max(initial=0.0)) <= KICKS_APART * loudest


def _inside(candidate: Tempo) -> bool:
    """Whether the candidate lies inside the preferred range, not on its fading edge."""
    return candidate.range_weight >= 1.0


def _octave_apart(bpm: float, other: float) -> bool:
    octaves = math.log2(bpm / other)
    return abs(octaves - round(octaves)) < 0.03


def offbeat_share(onsets: Onsets, bpm: float, bar_bpm: float) -> float:
    """The strongest snare half-way between beats over the strongest one on a beat, in the clearest bar.

    Bars are four beats of the slower of ``bpm`` and ``bar_bpm``, counted in the
    loop's whole bars.  A fill or a stray ghost note puts snares between the
    beats of one bar while the backbeat holds in the others, so the bar where
    the share is least tells.  A bar without a snare on a beat counts as
    infinity.  Beats are counted from the first strong onset: a loop starts on
    its downbeat.  A snare is a drum's body and its wires at once (their
    geometric mean), with little below 150 Hz: a kick has the low band, a tom
    little of the bright one and a hi-hat little of the body.  Hits on the bar
    lines of ``bar_bpm`` (counted from the first onset, where a loop starts)
    are left out: a crash on the 1 marks the bar, not the beat, and would be on
    the beat at every slower level.
    """
    bands = onsets.band_strengths
    snare = np.maximum(np.sqrt(bands[:, BODY_BAND] * bands[:, BODY_BAND + 1]) - bands[:, 0], 0.0)
    anchor = onsets.times[int(np.argmax(onsets.strengths >= 0.5 * onsets.strengths.max()))]
    in_bar = ((onsets.times - onsets.times.min()) * bar_bpm / 240) % 1.0
    snare = np.where((in_bar < BEAT_WINDOW / 4) | (in_bar > 1 - BEAT_WINDOW / 4), 0.0, snare)
    beats = (onsets.times - anchor) * bpm / 60
    position = beats % 1.0
    on_beat = (position < BEAT_WINDOW) | (position > 1 - BEAT_WINDOW)
    off_beat = np.abs(position - 0.5) < BEAT_WINDOW
    bar_beats = 4 * max(1.0, bpm / bar_bpm)
    # Whole bars only: a stray hit before the downbeat or at the very end
    # makes no bar of its own.
    length = onsets.envelope.size / onsets.frame_rate * bpm / 60 / bar_beats
    bars_in_loop = max(1, math.floor(length + BAR_SLACK))
    bar = np.clip(np.floor((beats + BEAT_WINDOW) / bar_beats), 0, bars_in_loop - 1)
    shares = []
    for number in np.unique(bar):
        here = bar == number
        on = snare[here & on_beat].max(initial=0.0)
        off = snare[here & off_beat].max(initial=0.0)
        shares.append(off / on if on > 0 else math.inf)
    return float(min(shares, default=math.inf))

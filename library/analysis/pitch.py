"""The pitch of a pitched one-shot: its note and how far off it sits, in cents.

librosa's YIN reads the fundamental frame by frame over a short stretch after
the attack (an 808's opening glide and a pluck's noisy strike are skipped).
A note has a pitch when most frames agree on it and its own first or second
harmonic is in the spectrum: a chord also repeats at the common fundamental of
its notes (C-E-G at the C two octaves down) but has nothing there, so it keeps
a key instead.
"""

import math
from dataclasses import dataclass

import librosa
import numpy as np

from library.analysis import spectral
from library.vocabulary import note_name

FMIN_HZ, FMAX_HZ = 25.0, 4200.0  # From below the lowest 808 note (G0, 24.5 Hz) to C8.
FRAME = 2048  # At 22.05 kHz: periods up to 1023 samples, 21.6 Hz.
HOP = 256
SKIP_SECONDS = 0.04  # After the attack: the strike and the start of a glide.
WINDOW_SECONDS = 0.6
MIN_FRAMES = 3
ACTIVE_DB = 30.0  # Frames this far below the window's loudest are not read.
AGREEMENT_CENTS = 40.0
MIN_AGREEMENT = 0.6  # Share of the frames within AGREEMENT_CENTS of their median.
# The first or second harmonic at this share of the spectrum's strongest peak;
# a chord's common fundamental and its octave hold next to nothing.
MIN_LOW_HARMONIC = 0.1
QUARTER_TONE = 2 ** (1 / 24)


@dataclass(frozen=True)
class Pitch:
    """A note as MIDI number plus the cents it sits off equal temperament (A4 = 440 Hz)."""

    midi: int
    cents: int
    hz: float

    @property
    def name(self) -> str:
        """ "A1", "C#4": scientific pitch notation, C4 being middle C."""
        return note_name(self.midi)


def from_hz(hz: float) -> Pitch:
    exact = 69 + 12 * math.log2(hz / 440.0)
    midi = round(exact)
    return Pitch(midi, round(100 * (exact - midi)), round(hz, 3))


def estimate(signal: np.ndarray, sample_rate: int) -> Pitch | None:
    """The note of a single pitched sound, or None (noise, a chord, a drum without a note)."""
    window = _after_attack(signal, sample_rate)
    if window is None:
        return None
    f0 = librosa.yin(
        window, fmin=FMIN_HZ, fmax=FMAX_HZ, sr=sample_rate,
        frame_length=FRAME, hop_length=HOP, center=False,
    )  # fmt: skip
    frames = librosa.util.frame(window, frame_length=FRAME, hop_length=HOP)
    level = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=0))
    loud = level >= level.max(initial=0) * 10 ** (-ACTIVE_DB / 20)
    semitones = 12 * np.log2(f0[loud] / 440.0)
    if semitones.size < MIN_FRAMES:
        return None
    centre = float(np.median(semitones))
    agreeing = np.abs(semitones - centre) * 100 <= AGREEMENT_CENTS
    if agreeing.mean() < MIN_AGREEMENT:
        return None
    heard = 440.0 * 2 ** (float(np.median(semitones[agreeing])) / 12)
    hz = _harmonic_peak(window, sample_rate, heard)
    return None if hz is None else from_hz(hz)


# Pitch classes of a note's first six harmonics, in semitones above it: the
# octaves, the fifth (3rd and 6th) and the major third (5th, 14 cents flat).
HARMONIC_CLASSES = (0, 4, 7)


def harmonics_explain(frames: np.ndarray | None, midi: int) -> bool:
    """Whether, all through a sound, every strong pitch class is a low harmonic of ``midi``.

    ``frames`` holds pitch classes (C first) frame by frame, read a block at a
    time (spectral.blocks) where the sound is loud enough to count.  A minor or
    seventh chord holds a class no single note's low harmonics reach, and a
    progression moves to chords that do (the IV over a I); a major triad over
    its root's bass does not, and reads as that bass note.
    """
    if frames is None or not frames.any():
        return True
    heard = spectral.blocks(frames)
    energy = heard.sum(axis=1)
    if not energy.any():
        heard, energy = frames, frames.sum(axis=1)  # Under one block: the frames themselves.
    heard = heard[energy >= spectral.CHANGE_MIN_ENERGY * energy.max()]
    strong = heard >= spectral.STRONG_CLASS * heard.max(axis=1, keepdims=True)
    foreign = np.ones(12, dtype=bool)
    foreign[[(midi + step) % 12 for step in HARMONIC_CLASSES]] = False
    return not strong[:, foreign].any()


def _after_attack(signal: np.ndarray, sample_rate: int) -> np.ndarray | None:
    """The stretch to read: from just after the sound first reaches half its peak level."""
    if signal.size < FRAME or not np.any(signal):
        return None
    level = librosa.feature.rms(y=signal, frame_length=HOP, hop_length=HOP, center=False)[0]
    attack = int(np.argmax(level >= 0.5 * level.max())) * HOP
    start = attack + int(SKIP_SECONDS * sample_rate)
    window = signal[start : start + int(WINDOW_SECONDS * sample_rate)]
    return window if window.size >= FRAME + (MIN_FRAMES - 1) * HOP else None


def _harmonic_peak(window: np.ndarray, sample_rate: int, hz: float) -> float | None:
    """The fundamental refined on the spectrum, or None when its low harmonics are missing.

    YIN's lag is interpolated between whole samples, which leaves low notes 10-30
    cents off (a 33 Hz sine lasts 670 samples of 22.05 kHz); the strongest of the
    first four harmonics, read on a finely sampled spectrum, puts them within a few.
    """
    size = 1 << max(15, (window.size - 1).bit_length())  # Bins of 0.67 Hz or finer.
    spectrum = np.abs(np.fft.rfft(window * np.hanning(window.size), size))
    bin_hz = sample_rate / size
    peaks = _harmonic_peaks(spectrum, bin_hz, hz)
    # Only even harmonics: YIN took the octave below (it does for the highest notes,
    # whose period falls between whole samples).
    while len(peaks) > 1 and max(peaks[0::2])[0] < MIN_LOW_HARMONIC * max(peaks)[0]:
        hz *= 2
        peaks = _harmonic_peaks(spectrum, bin_hz, hz)
    # Against the whole spectrum: a chord's common fundamental has harmonics far below its notes.
    strongest = float(spectrum[int(FMIN_HZ / bin_hz) :].max(initial=0))
    if strongest <= 0 or max(peak[0] for peak in peaks[:2]) < MIN_LOW_HARMONIC * strongest:
        return None
    _, index, harmonic = max(peaks[:4])
    if not 0 < index < spectrum.size - 1:
        return hz
    left, mid, right = np.log(spectrum[index - 1 : index + 2] + 1e-20)
    offset = 0.5 * (left - right) / (left - 2 * mid + right - 1e-12)
    return float((index + np.clip(offset, -0.5, 0.5)) * bin_hz / harmonic)


def _harmonic_peaks(spectrum: np.ndarray, bin_hz: float, hz: float) -> list:
    """(magnitude, bin, number) of the highest bin within a quarter tone of each harmonic."""
    peaks = []
    for harmonic in range(1, 11):
        centre = harmonic * hz
        if (centre * QUARTER_TONE) / bin_hz >= spectrum.size - 1:
            break
        low, high = (
            int(centre / QUARTER_TONE / bin_hz),
            math.ceil(centre * QUARTER_TONE / bin_hz),
        )
        index = low + int(spectrum[low : high + 1].argmax())
        peaks.append((float(spectrum[index]), index, harmonic))
    return peaks

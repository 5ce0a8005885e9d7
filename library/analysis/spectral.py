"""One power spectrogram, and every spectral measure derived from it.

The STFT (librosa's) is computed once; librosa's descriptors, mel filters and
MFCCs are applied to it, and so are the tonal ("harmonic") share and the
chroma summary, which are this project's own.
"""

import math
from dataclasses import dataclass
from functools import lru_cache

import librosa
import numpy as np
from scipy import ndimage

N_FFT = 2048
HOP = 512
N_MELS = 64
N_MFCC = 13
ROLLOFF_SHARE = 0.85
ACTIVE_RANGE_DB = 50.0  # Frames this far below the loudest one are ignored.
SILENT_FRAME_POWER = 1e-10  # About -100 dBFS per frame: digital silence.
# A bin is "tonal" when it stands this far above the log-average of its
# neighbourhood: white noise exceeds 10 dB in fewer than 0.5 % of bins.
TONAL_MARGIN_DB = 10.0
TONAL_NEIGHBOURHOOD_BINS = 25
CHROMA_LOW_HZ, CHROMA_HIGH_HZ = 50.0, 5000.0
BAND_EDGES_HZ = (150.0, 500.0, 2000.0, 5000.0)


@dataclass(frozen=True)
class Spectrogram:
    """Power spectrogram (frames x bins) with its frequencies and frame rate."""

    power: np.ndarray
    freqs: np.ndarray
    sample_rate: int
    frame_rate: float
    active: np.ndarray  # Boolean mask of frames loud enough to describe.
    active_power: np.ndarray  # power[active], without a copy when every frame is.
    weights: np.ndarray  # RMS of each active frame, for averaging.

    @property
    def is_silent(self) -> bool:
        return not self.active.any()


def spectrogram(mono: np.ndarray, sample_rate: int) -> Spectrogram:
    """Hann-windowed power STFT, zero-padded so frame t is centred on sample t * HOP."""
    frames = 1 + mono.size // HOP
    if mono.size < N_FFT:
        # librosa warns about input shorter than a window. Trailing zeros leave
        # every frame kept here unchanged, since the padding is zeros anyway.
        mono = np.pad(mono, (0, N_FFT - mono.size))
    stft = librosa.stft(
        mono, n_fft=N_FFT, hop_length=HOP, window="hann", center=True, pad_mode="constant"
    )
    # librosa stores the STFT column by column, so its transpose (frames x
    # bins) is contiguous without a copy.
    power = librosa.util.abs2(stft[:, :frames].T)
    # Parseval: the Hann window's energy sum(w^2) = 3/8 N; divide so a frame's sum
    # is its mean-square level times N (comparable across files).
    power /= 0.375 * N_FFT
    energy = power.sum(axis=1)
    top = float(energy.max())
    active = (energy >= top * 10 ** (-ACTIVE_RANGE_DB / 10)) & (energy > SILENT_FRAME_POWER)
    # Boolean indexing copies: skip it for loops, where every frame is active.
    active_power = power if active.all() else power[active]
    weights = np.sqrt(energy[active])
    freqs = librosa.fft_frequencies(sr=sample_rate, n_fft=N_FFT)
    return Spectrogram(power, freqs, sample_rate, sample_rate / HOP, active, active_power, weights)


def descriptors(spec: Spectrogram) -> dict[str, float]:
    """Centroid, roll-off, bandwidth (Hz) and flatness, averaged over active frames."""
    if spec.is_silent:
        return dict.fromkeys(("centroid", "rolloff", "bandwidth", "flatness"), 0.0)
    power = spec.active_power.T  # librosa's layout: bins x frames.
    magnitude = np.sqrt(power)
    feature, freqs = librosa.feature, spec.freqs
    centroid = feature.spectral_centroid(S=magnitude, freq=freqs)
    bandwidth = feature.spectral_bandwidth(S=magnitude, freq=freqs, centroid=centroid)
    # Roll-off and flatness of the power, not the magnitude: the frequency below
    # which 85 % of the energy lies, and the power's geometric-to-arithmetic mean.
    rolloff = feature.spectral_rolloff(S=power, freq=freqs, roll_percent=ROLLOFF_SHARE)
    flatness = feature.spectral_flatness(S=power, power=1.0, amin=1e-12)
    weights = spec.weights / spec.weights.sum()
    return {
        "centroid": float(centroid[0] @ weights),
        "rolloff": float(rolloff[0] @ weights),
        "bandwidth": float(bandwidth[0] @ weights),
        "flatness": float(flatness[0] @ weights),
    }


def band_shares(spec: Spectrogram) -> np.ndarray:
    """Share of the active energy below, between and above BAND_EDGES_HZ."""
    summed = spec.active_power.sum(axis=0)
    total = summed.sum()
    if total <= 0:
        return np.zeros(len(BAND_EDGES_HZ) + 1)
    index = np.searchsorted(spec.freqs, BAND_EDGES_HZ)
    return np.array([part.sum() / total for part in np.split(summed, index)])


def share_above(spec: Spectrogram, hz: float) -> float:
    """Share of the active energy at or above ``hz``."""
    summed = spec.active_power.sum(axis=0)
    total = summed.sum()
    return float(summed[spec.freqs >= hz].sum() / total) if total > 0 else 0.0


def mel_frequencies(sample_rate: int, n_mels: int = N_MELS) -> np.ndarray:
    """Centre frequencies (Hz) of the mel bands of ``mel_filterbank``."""
    return librosa.mel_frequencies(n_mels + 2, fmax=sample_rate / 2, htk=True)[1:-1]


@lru_cache(maxsize=4)
def mel_filterbank(sample_rate: int, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """Triangular filters evenly spaced on the HTK mel scale, shaped (bins, mels).

    Each filter's weights sum to one (norm=1), so a band's power is the
    weighted average of its bins' and stays comparable across band widths.
    """
    bank = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, htk=True, norm=1)
    return np.ascontiguousarray(bank.T)


def mel_power(spec: Spectrogram) -> np.ndarray:
    """Mel band powers (frames x mels)."""
    return spec.power @ mel_filterbank(spec.sample_rate)


def mfcc_stats(mel: np.ndarray, spec: Spectrogram) -> tuple[np.ndarray, np.ndarray]:
    """Means and standard deviations of 13 MFCCs over the active frames.

    The log mel powers are taken relative to the loudest, with a floor 100 dB
    under it: with a floor at a fixed level, a quiet sound's weaker bands sat
    on it and its MFCCs changed with its level (30 dB down, a tom's moved as
    far as another drum's).  So the first coefficient is no longer the level
    but how far the bands sit under the loudest, and the others do not move.
    """
    if spec.is_silent:
        return np.zeros(N_MFCC), np.zeros(N_MFCC)
    active = mel[spec.active].T
    loudest = float(active.max(initial=0.0))
    log_mel = librosa.power_to_db(
        active, ref=loudest, amin=max(loudest, 1e-30) * 1e-10, top_db=None
    )
    coefficients = librosa.feature.mfcc(S=log_mel, n_mfcc=N_MFCC).T
    weights = spec.weights / spec.weights.sum()
    means = weights @ coefficients
    stds = np.sqrt(weights @ (coefficients - means) ** 2)
    return means, stds


def tonal_mask(spec: Spectrogram) -> np.ndarray:
    """Bins of active frames standing TONAL_MARGIN_DB above their neighbourhood's log-average."""
    log_power = np.log(spec.active_power + 1e-20)
    surround = ndimage.uniform_filter1d(log_power, TONAL_NEIGHBOURHOOD_BINS, axis=1)
    return log_power - surround > TONAL_MARGIN_DB * math.log(10) / 10


def harmonic_ratio(spec: Spectrogram, tonal: np.ndarray, low_hz: float = 0.0) -> float:
    """Share of the active energy (above low_hz) in tonal peaks: a cheap stand-in for HPSS."""
    first = int(np.searchsorted(spec.freqs, low_hz))
    power = spec.active_power[:, first:]
    total = power.sum()
    return float(power[tonal[:, first:]].sum() / total) if total > 0 else 0.0


@dataclass(frozen=True)
class PitchClasses:
    """Pitch-class summaries (C first) of the tonal spectral peaks, for pitch counts and key.

    ``overall`` shares each peak between its two nearest pitch classes as heard; the
    others are taken after retuning to the file's own reference pitch: ``tuned`` over
    the whole sound, ``bass`` from the lowest strong note of each frame, ``opening`` and
    ``opening_bass`` over its first eighth, ``chords``, the share of the sound's
    energy in frames whose best-fitting triad is each of the 12 major then 12 minor ones,
    ``changes``, how often the sound moves from one of those triads to another
    (24 x 24, from row to column, the last back to the first as a loop plays round),
    and ``bass_changes``, the same for the bass note's pitch class (12 x 12);
    ``frames`` keeps the tuned pitch classes frame by frame, ``frame_rate`` a second.
    """

    overall: np.ndarray
    tuned: np.ndarray
    bass: np.ndarray
    opening: np.ndarray
    opening_bass: np.ndarray
    chords: np.ndarray
    changes: np.ndarray
    bass_changes: np.ndarray
    frames: np.ndarray | None = None
    frame_rate: float = 0.0


def _triad_templates() -> np.ndarray:
    """The 12 major then 12 minor triads as centred unit vectors over the pitch classes."""
    rows = np.zeros((24, 12))
    for index in range(24):
        third = 3 if index >= 12 else 4
        rows[index, [index % 12, (index + third) % 12, (index + 7) % 12]] = 1.0
    rows -= rows.mean(axis=1, keepdims=True)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


TRIADS = _triad_templates()
BASS_SHARE = 0.25  # A frame's bass note is its lowest holding this share of its strongest.
OPENING_SHARE = 1 / 8
STRONG_CLASS = 0.4  # Share of the strongest pitch class that makes a class count as sounding.
CHANGE_BLOCK_FRAMES = 8  # Chords are read per 0.19 s, so a passing note is not a change.
CHANGE_MIN_ENERGY = 0.1  # ... in blocks with this share of the loudest block's energy.


def chroma(spec: Spectrogram, tonal: np.ndarray) -> PitchClasses:
    """Pitch classes of the tonal spectral peaks, summed over time (see PitchClasses).

    Each peak's frequency is refined by a parabola through its log-power neighbours.
    """
    # Kept instead of librosa's chromas. On the 960 tonal loops of bench/keys.py
    # --per-key 20, the best of 24 Gomez key profiles by correlation is right for
    # 64.5 % of them with this chroma retuned, 62.4 % with chroma_cqt and 61.3 %
    # with chroma_stft with estimated tuning (Krumhansl-Kessler: 50.7, 51.7 and
    # 47.0 %), and chroma_cqt costs about 19 ms per second of audio, twice this
    # whole measurement.
    frame_index, pitch, magnitude = _tonal_peaks(spec, tonal)
    overall = _fold(pitch, magnitude)
    if magnitude.size == 0:
        zeros = np.zeros(12)
        return PitchClasses(
            overall,
            zeros,
            zeros,
            zeros,
            zeros,
            np.zeros(24),
            np.zeros((24, 24)),
            np.zeros((12, 12)),
        )
    # The file's own tuning: the magnitude-weighted circular mean of each peak's
    # offset from equal temperament, so a sample 30 cents sharp reads in tune.
    offsets = np.exp(2j * np.pi * pitch)
    tuning = np.angle(magnitude @ offsets) / (2 * np.pi)
    note = np.round(pitch - tuning).astype(int)
    frames = spec.active_power.shape[0]
    inside = (note >= 0) & (note < 128)
    flat = frame_index[inside] * 128 + note[inside]
    notes = np.bincount(flat, magnitude[inside], minlength=frames * 128).reshape(frames, 128)
    per_frame = _frame_chroma(notes)
    opening = max(1, round(frames * OPENING_SHARE))
    lowest, bass_weight = _bass_notes(notes)
    bass = np.bincount(lowest % 12, bass_weight, minlength=12)
    opening_bass = np.bincount(lowest[:opening] % 12, bass_weight[:opening], minlength=12)
    energy = per_frame.sum(axis=1)
    best = np.argmax(per_frame @ TRIADS.T, axis=1)
    chords = np.bincount(best, energy, minlength=24) / max(energy.sum(), 1e-20)
    return PitchClasses(
        overall,
        per_frame.sum(axis=0),
        bass,
        per_frame[:opening].sum(axis=0),
        opening_bass,
        chords,
        chord_changes(per_frame),
        bass_changes(lowest, bass_weight),
        per_frame,
        spec.frame_rate,
    )


def chord_changes(per_frame: np.ndarray) -> np.ndarray:
    """Shares of the moves between best-fitting triads, block by block (see PitchClasses)."""
    grouped = blocks(per_frame)
    return _moves(np.argmax(grouped @ TRIADS.T, axis=1), grouped.sum(axis=1), 24)


def bass_changes(lowest: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Shares of the moves between bass notes' pitch classes, block by block (see PitchClasses)."""
    per_frame = np.zeros((lowest.size, 12))
    per_frame[np.arange(lowest.size), lowest % 12] = weight
    grouped = blocks(per_frame)
    return _moves(np.argmax(grouped, axis=1), grouped.sum(axis=1), 12)


def blocks(per_frame: np.ndarray) -> np.ndarray:
    """Frames summed CHANGE_BLOCK_FRAMES at a time (a last, partial block left out)."""
    count = per_frame.shape[0] // CHANGE_BLOCK_FRAMES
    trimmed = per_frame[: count * CHANGE_BLOCK_FRAMES]
    return trimmed.reshape(count, CHANGE_BLOCK_FRAMES, per_frame.shape[1]).sum(axis=1)


def _moves(labels: np.ndarray, energy: np.ndarray, size: int) -> np.ndarray:
    """How often each label is followed by another, over the blocks heard, last to first."""
    changes = np.zeros((size, size))
    if labels.size < 2:
        return changes
    heard = labels[energy >= CHANGE_MIN_ENERGY * energy.max()]
    following = np.roll(heard, -1)
    moves = heard != following
    np.add.at(changes, (heard[moves], following[moves]), 1.0)
    return changes / changes.sum() if changes.sum() > 0 else changes


def _bass_notes(notes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, the lowest note holding BASS_SHARE of the strongest one, and its magnitude."""
    strongest = notes.max(axis=1, keepdims=True)
    strong = (notes >= BASS_SHARE * strongest) & (strongest > 0)
    lowest = np.argmax(strong, axis=1)
    weight = np.where(strong.any(axis=1), notes[np.arange(len(notes)), lowest], 0.0)
    return lowest, weight


def _frame_chroma(notes: np.ndarray) -> np.ndarray:
    """Fold a frames x 128 MIDI-note array into frames x 12 pitch classes (C first)."""
    padded = np.pad(notes, ((0, 0), (0, 4)))  # 132 notes: eleven whole octaves
    return padded.reshape(notes.shape[0], 11, 12).sum(axis=1)


def _fold(pitch: np.ndarray, magnitude: np.ndarray) -> np.ndarray:
    """Pitch-class energy, each peak shared between its two nearest pitch classes."""
    lower = np.floor(pitch).astype(int) % 12
    upper_share = pitch - np.floor(pitch)
    result = np.bincount(lower, magnitude * (1 - upper_share), minlength=12)
    result += np.bincount((lower + 1) % 12, magnitude * upper_share, minlength=12)
    return result


def _tonal_peaks(spec: Spectrogram, tonal: np.ndarray):
    """Frame, MIDI pitch (fractional) and magnitude of each tonal spectral peak in the chroma band."""
    band = (spec.freqs >= CHROMA_LOW_HZ) & (spec.freqs <= CHROMA_HIGH_HZ)
    band[0] = band[-1] = False
    power = spec.active_power
    centre = power[:, 1:-1]
    peaks = (centre > power[:, :-2]) & (centre >= power[:, 2:]) & tonal[:, 1:-1]
    peaks &= band[1:-1]
    frame_index, bin_index = np.nonzero(peaks)
    bin_index = bin_index + 1
    left, mid, right = (np.log(power[frame_index, bin_index + d] + 1e-20) for d in (-1, 0, 1))
    offset = 0.5 * (left - right) / (left - 2 * mid + right - 1e-12)
    freqs = (bin_index + np.clip(offset, -0.5, 0.5)) * (spec.freqs[1] - spec.freqs[0])
    pitch = 69 + 12 * np.log2(freqs / 440.0)
    return frame_index, pitch, np.sqrt(power[frame_index, bin_index])

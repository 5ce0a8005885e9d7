"""One power spectrogram, and every spectral measure derived from it.

The STFT is computed once; descriptors, MFCCs (through a mel projection), the
tonal ("harmonic") share and the chroma summary all reuse it.
"""

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import fft, ndimage

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


@lru_cache(maxsize=4)
def _window(n_fft: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)


def spectrogram(mono: np.ndarray, sample_rate: int) -> Spectrogram:
    """Hann-windowed power STFT, zero-padded so frame t is centred on sample t * HOP."""
    padded = np.zeros(mono.size + N_FFT, dtype=np.float32)
    padded[N_FFT // 2 : N_FFT // 2 + mono.size] = mono
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][: 1 + mono.size // HOP]
    spectrum = fft.rfft(frames * _window(N_FFT), axis=1)
    power = spectrum.real**2 + spectrum.imag**2
    # Parseval: the Hann window's energy sum(w^2) = 3/8 N; divide so a frame's sum
    # is its mean-square level times N (comparable across files).
    power /= 0.375 * N_FFT
    energy = power.sum(axis=1)
    top = float(energy.max())
    active = (energy >= top * 10 ** (-ACTIVE_RANGE_DB / 10)) & (energy > SILENT_FRAME_POWER)
    # Boolean indexing copies: skip it for loops, where every frame is active.
    active_power = power if active.all() else power[active]
    weights = np.sqrt(energy[active])
    freqs = np.fft.rfftfreq(N_FFT, 1 / sample_rate)
    return Spectrogram(power, freqs, sample_rate, sample_rate / HOP, active, active_power, weights)


def descriptors(spec: Spectrogram) -> dict[str, float]:
    """Centroid, roll-off, bandwidth (Hz) and flatness, averaged over active frames."""
    if spec.is_silent:
        return dict.fromkeys(("centroid", "rolloff", "bandwidth", "flatness"), 0.0)
    power, weights = spec.active_power, spec.weights
    magnitude = np.sqrt(power)
    norm = magnitude.sum(axis=1) + 1e-20
    centroid = magnitude @ spec.freqs / norm
    spread = (magnitude * (spec.freqs[None, :] - centroid[:, None]) ** 2).sum(axis=1) / norm
    cumulative = np.cumsum(power, axis=1)
    rolloff_bins = (cumulative < ROLLOFF_SHARE * cumulative[:, -1:]).sum(axis=1)
    rolloff = spec.freqs[np.minimum(rolloff_bins, spec.freqs.size - 1)]
    log_power = np.log(power + 1e-12)
    flatness = np.exp(log_power.mean(axis=1)) / (power.mean(axis=1) + 1e-12)
    total = weights.sum()
    return {
        "centroid": float(centroid @ weights / total),
        "rolloff": float(rolloff @ weights / total),
        "bandwidth": float(np.sqrt(spread) @ weights / total),
        "flatness": float(flatness @ weights / total),
    }


def band_shares(spec: Spectrogram) -> np.ndarray:
    """Share of the active energy below, between and above BAND_EDGES_HZ."""
    summed = spec.active_power.sum(axis=0)
    total = summed.sum()
    if total <= 0:
        return np.zeros(len(BAND_EDGES_HZ) + 1)
    index = np.searchsorted(spec.freqs, BAND_EDGES_HZ)
    return np.array([part.sum() / total for part in np.split(summed, index)])


def mel_edges(sample_rate: int, n_mels: int = N_MELS) -> np.ndarray:
    """Band edges (Hz) evenly spaced on the HTK mel scale; centres are edges[1:-1]."""
    top_mel = 2595 * math.log10(1 + (sample_rate / 2) / 700)
    return 700 * (10 ** (np.linspace(0, top_mel, n_mels + 2) / 2595) - 1)


@lru_cache(maxsize=4)
def mel_filterbank(sample_rate: int, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """Triangular filters evenly spaced on the HTK mel scale, shaped (bins, mels)."""
    edges_hz = mel_edges(sample_rate, n_mels)
    freqs = np.fft.rfftfreq(n_fft, 1 / sample_rate)
    low, centre, high = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    rising = (freqs - low) / (centre - low)
    falling = (high - freqs) / (high - centre)
    bank = np.clip(np.minimum(rising, falling), 0, None)
    bank /= bank.sum(axis=1, keepdims=True) + 1e-12  # Each band averages its bins.
    return np.ascontiguousarray(bank.T, dtype=np.float32)


def mel_power(spec: Spectrogram) -> np.ndarray:
    """Mel band powers (frames x mels)."""
    return np.asarray(spec.power, dtype=np.float32) @ mel_filterbank(spec.sample_rate)


def mfcc_stats(mel: np.ndarray, spec: Spectrogram) -> tuple[np.ndarray, np.ndarray]:
    """Means and standard deviations of 13 MFCCs over the active frames."""
    if spec.is_silent:
        return np.zeros(N_MFCC), np.zeros(N_MFCC)
    log_mel = 10 * np.log10(mel[spec.active] + 1e-10)
    coefficients = fft.dct(log_mel, type=2, norm="ortho", axis=1)[:, :N_MFCC]
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


def chroma(spec: Spectrogram, tonal: np.ndarray) -> np.ndarray:
    """Pitch-class energy (C first) of the tonal spectral peaks, summed over time.

    Each peak's frequency is refined by a parabola through its log-power
    neighbours, then its magnitude is shared between the two nearest pitch classes.
    """
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
    pitch = (69 + 12 * np.log2(freqs / 440.0)) % 12
    lower = np.floor(pitch).astype(int) % 12
    upper_share = pitch - np.floor(pitch)
    magnitude = np.sqrt(power[frame_index, bin_index])
    result = np.bincount(lower, magnitude * (1 - upper_share), minlength=12)
    result += np.bincount((lower + 1) % 12, magnitude * upper_share, minlength=12)
    return result

"""Levels, integrated loudness (ITU-R BS.1770), the energy envelope and drawing peaks."""

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import signal

SILENCE_DB = -120.0
ENVELOPE_HOP = 64  # 2.9 ms at 22050 Hz: fine enough to time attacks and clap bursts.
WAVEFORM_BUCKETS = 256

# BS.1770 K-weighting as analogue prototypes, so the filters fit any sample rate:
# a +4 dB high shelf modelling the head, then the "RLB" high-pass.
SHELF_HZ, SHELF_GAIN_DB, SHELF_Q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
HIGHPASS_HZ, HIGHPASS_Q = 38.13547087602444, 0.5003270373238773
BLOCK_SECONDS, BLOCK_STEP_SECONDS = 0.4, 0.1
ABSOLUTE_GATE_LUFS, RELATIVE_GATE_LU = -70.0, -10.0


def to_db(value: float) -> float:
    """Decibels of a linear amplitude, floored at SILENCE_DB."""
    return max(SILENCE_DB, 20 * math.log10(value)) if value > 0 else SILENCE_DB


def peak_and_rms(samples: np.ndarray) -> tuple[float, float]:
    """Sample peak and RMS over all channels."""
    flat = samples.reshape(-1)
    peak = max(float(flat.max()), -float(flat.min()))
    return peak, math.sqrt(float(np.dot(flat, flat)) / flat.size)


@lru_cache(maxsize=16)
def k_weighting(sample_rate: int) -> np.ndarray:
    """Second-order sections of the K-weighting filter at this sample rate."""
    k = math.tan(math.pi * SHELF_HZ / sample_rate)
    gain = 10 ** (SHELF_GAIN_DB / 20)
    # The shelf's mid gain is its power gain raised to this fitted exponent.
    mid_gain = gain**0.4996667741545416
    a0 = 1 + k / SHELF_Q + k * k
    shelf = [
        (gain + mid_gain * k / SHELF_Q + k * k) / a0,
        2 * (k * k - gain) / a0,
        (gain - mid_gain * k / SHELF_Q + k * k) / a0,
        1.0,
        2 * (k * k - 1) / a0,
        (1 - k / SHELF_Q + k * k) / a0,
    ]
    k = math.tan(math.pi * HIGHPASS_HZ / sample_rate)
    a0 = 1 + k / HIGHPASS_Q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / HIGHPASS_Q + k * k) / a0]
    # float32 filtering halves the cost; loudness needs nowhere near more precision.
    return np.array([shelf, highpass], dtype=np.float32)


def channel_weights(channels: int) -> np.ndarray:
    """BS.1770 channel gains: surrounds count 1.41, the LFE channel not at all."""
    if channels == 5:
        return np.array([1.0, 1.0, 1.0, 1.41, 1.41])
    if channels == 6:
        return np.array([1.0, 1.0, 1.0, 0.0, 1.41, 1.41])
    return np.ones(channels)


def integrated_loudness(samples: np.ndarray, sample_rate: int) -> float | None:
    """Gated integrated loudness in LUFS; ungated below one 400 ms block; None if silent."""
    power = signal.sosfilt(k_weighting(sample_rate), samples, axis=0)
    np.square(power, out=power)
    weights = channel_weights(samples.shape[1])
    step = int(BLOCK_STEP_SECONDS * sample_rate)
    steps_per_block = round(BLOCK_SECONDS / BLOCK_STEP_SECONDS)
    if len(power) < step * steps_per_block:
        return _lufs(float(power.mean(axis=0, dtype=np.float64) @ weights))
    # Each 400 ms block is four consecutive 100 ms steps (75 % overlap).
    usable = len(power) // step * step
    steps = power[:usable].reshape(-1, step, power.shape[1]).sum(axis=1, dtype=np.float64)
    step_sums = steps @ weights
    blocks = np.convolve(step_sums, np.ones(steps_per_block), "valid") / (step * steps_per_block)
    blocks = blocks[blocks > 10 ** ((ABSOLUTE_GATE_LUFS + 0.691) / 10)]
    if blocks.size == 0:
        return None
    relative_gate = 10 ** ((_lufs(blocks.mean()) + RELATIVE_GATE_LU + 0.691) / 10)
    return _lufs(blocks[blocks > relative_gate].mean())


def _lufs(mean_power: float) -> float | None:
    return -0.691 + 10 * math.log10(mean_power) if mean_power > 0 else None


def waveform_peaks(mono: np.ndarray, buckets: int = WAVEFORM_BUCKETS) -> list[list[float]]:
    """[min, max] of the signal in equal time buckets, rounded for drawing."""
    buckets = min(buckets, mono.size)
    if buckets == 0:
        return []
    edges = np.linspace(0, mono.size, buckets + 1).astype(np.int64)[:-1]
    lows = np.minimum.reduceat(mono, edges)
    highs = np.maximum.reduceat(mono, edges)
    return np.round(np.stack([lows, highs], axis=1).astype(float), 3).tolist()


@dataclass(frozen=True)
class Envelope:
    """The short-time RMS of the analysis signal, and its shape."""

    rms: np.ndarray
    frame_seconds: float
    attack_time: float
    decay_time: float
    sounding_time: float
    temporal_centroid: float
    end_to_peak_db: float


def short_time_rms(mono: np.ndarray, hop: int = ENVELOPE_HOP) -> np.ndarray:
    """RMS of consecutive blocks of ``hop`` samples (the last one zero-padded)."""
    frames = max(1, math.ceil(mono.size / hop))
    padded = np.zeros(frames * hop, dtype=np.float32)
    padded[: mono.size] = mono
    return np.sqrt(np.mean(np.square(padded.reshape(frames, hop)), axis=1))


def envelope(mono: np.ndarray, sample_rate: int) -> Envelope:
    """Short-time RMS every ENVELOPE_HOP samples with attack, decay and centroid."""
    rms = short_time_rms(mono)
    frames = rms.size
    frame_seconds = ENVELOPE_HOP / sample_rate
    top = float(rms.max())
    if top <= 0:
        return Envelope(rms, frame_seconds, 0.0, 0.0, 0.0, 0.0, SILENCE_DB)
    peak_index = int(rms.argmax())
    # Attack: from 10 % to 90 % of the peak (the MPEG-7 "log attack time" span).
    start = int(np.argmax(rms >= 0.1 * top))
    reach = int(np.argmax(rms >= 0.9 * top))
    attack = max(reach - start, 0) * frame_seconds + frame_seconds / 2
    # Decay: from the peak until the level stays 30 dB below it; sounding time:
    # from the attack until then (a sustained note cut by the file end counts whole).
    loud = np.flatnonzero(rms >= top * 10 ** (-30 / 20))
    decay = (loud[-1] - peak_index + 1) * frame_seconds
    sounding = (loud[-1] - start + 1) * frame_seconds
    energy = np.square(rms)
    centroid = float((np.arange(frames) * energy).sum() / energy.sum()) / frames
    tail = rms[-max(1, frames // 4) :]
    end_db = 20 * math.log10(max(float(tail.mean()), 1e-9) / top)
    return Envelope(rms, frame_seconds, attack, decay, sounding, centroid, end_db)

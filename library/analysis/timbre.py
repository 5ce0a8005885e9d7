"""What a one-shot sounds like, as the fixed-length vector the category classifier reads.

Everything is measured from the attack on, so leading silence and padding do
not matter, and relative to the sound's own peak, so neither does its level.
The spectrum is described in three stretches of time, because that is where
drums differ: the first 70 ms (the stick, the beater, the noise burst), the
next 140 ms (the shell's or the wires' ring) and the rest (how a cymbal or an
open hat keeps sounding).
"""

import math

import numpy as np

from library.analysis import loudness, rhythm, spectral

BAND_GROUPS = 16  # Mel bands are averaged four by four into this many coarse bands.
SEGMENT_FRAMES = ((0, 3), (3, 9), (9, None))  # Spectrogram frames from the loudest one.
FLOOR_DB = -60.0  # Quieter than this below the peak is a noise floor (16-bit dither, room, tape).
DECAY_LEVELS_DB = (-6.0, -12.0, -24.0, -40.0)
N_MFCC_USED = 12  # MFCC 1-12: the 0th is the level, which says nothing about the instrument.
METAL_HZ = 4000.0  # Cymbals and hats ring with inharmonic partials up here; shakers only hiss.
EARLY_MS = (20, 40, 80)  # Level after the peak at these times, on the 3 ms envelope.
CLICK_MS, BODY_MS = (0, 15), (30, 120)  # A beater's click, then a drum's body.

TIMBRE_NAMES = (
    *(
        f"{segment}_band_{band:02d}_db"
        for segment in ("attack", "body", "tail")
        for band in range(BAND_GROUPS)
    ),
    *(f"{segment}_level_db" for segment in ("body", "tail")),
    *(f"mfcc_mean_{index}" for index in range(1, N_MFCC_USED + 1)),
    *(f"mfcc_std_{index}" for index in range(1, N_MFCC_USED + 1)),
    "log_centroid",
    "log_rolloff",
    "log_bandwidth",
    "log10_flatness",
    "zero_crossing_rate",
    "harmonic_ratio",
    "upper_harmonic_ratio",
    "log_dominant_hz",
    "log_settled_hz",
    "pitch_drop_octaves",
    "pitch_classes",
    "bursts",
    *(f"band_share_{index}" for index in range(5)),
    "log_attack_time",
    *(f"log_time_to{-level:.0f}_db" for level in DECAY_LEVELS_DB),
    "log_sounding_time",
    "end_to_peak_db",
    "log1p_onsets",
    "metal_ratio",
    *(f"level_at_{ms}ms_db" for ms in EARLY_MS),
    "click_brightness_db",
    "body_brightness_db",
)


def log_floor(value: float, floor: float) -> float:
    """Natural log, floored so silence and zeros stay finite."""
    return math.log(max(float(value), floor))


def spectral_shape(sound) -> list[float]:
    """Centroid, roll-off and bandwidth (log Hz), log flatness, zero crossings, tonal share."""
    return [
        log_floor(sound.centroid, 1.0),
        log_floor(sound.rolloff, 1.0),
        log_floor(sound.bandwidth, 1.0),
        math.log10(max(sound.flatness, 1e-6)),
        sound.zero_crossing_rate,
        sound.harmonic_ratio,
    ]


def segment_profiles(mel: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Mean level (dB below the loudest cell) of coarse bands in each stretch, plus levels."""
    frames, mels = mel.shape
    coarse = mel[:, : mels - mels % BAND_GROUPS].reshape(frames, BAND_GROUPS, -1).mean(axis=2)
    energy = np.where(active, coarse.sum(axis=1), 0.0)
    peak_frame = int(energy.argmax())
    reference = float(coarse[peak_frame].max()) + 1e-20
    profiles, levels = [], []
    for start, stop in SEGMENT_FRAMES:
        stretch = coarse[peak_frame + start : None if stop is None else peak_frame + stop]
        mean = stretch.mean(axis=0) if len(stretch) else np.zeros(BAND_GROUPS)
        profiles.append(np.maximum(10 * np.log10(mean / reference + 1e-12), FLOOR_DB))
        levels.append(max(10 * math.log10(mean.sum() / reference + 1e-12), FLOOR_DB))
    return np.concatenate([*profiles, levels[1:]])


def decay_times(envelope: loudness.Envelope, peak: int) -> list[float]:
    """Seconds from the peak frame until the level last stands above each of DECAY_LEVELS_DB."""
    rms = envelope.rms
    top = float(rms[peak])
    if top <= 0:
        return [0.0] * len(DECAY_LEVELS_DB)
    after = rms[peak:]
    times = []
    for level in DECAY_LEVELS_DB:
        above = np.flatnonzero(after >= top * 10 ** (level / 20))
        times.append((int(above[-1]) + 1) * envelope.frame_seconds)
    return times


def early_levels(envelope: loudness.Envelope) -> list[float]:
    """dB below the peak at EARLY_MS after it: how fast the first 80 ms fall away.

    Past the end of the file the level is silence (FLOOR_DB).
    """
    rms = rhythm.held(envelope.rms)  # Held over 20 ms, so a low note's ripple is not a decay.
    peak = int(rms.argmax())
    top = float(rms[peak]) + 1e-12
    levels = []
    for ms in EARLY_MS:
        frame = peak + round(ms / 1000 / envelope.frame_seconds)
        level = float(rms[frame]) if frame < rms.size else 0.0
        levels.append(max(20 * math.log10(level / top + 1e-12), FLOOR_DB))
    return levels


def brightness(envelope: loudness.Envelope, bright: np.ndarray, peak: int) -> list[float]:
    """How much of the level is high-frequency (the first difference's share) at click and body.

    A beater's click is bright and the sine body of a kick is not; a bass note,
    a snare or a hat keeps its brightness after the first 15 ms.
    """
    rms = envelope.rms
    shares = []
    for start_ms, stop_ms in (CLICK_MS, BODY_MS):
        start = peak + round(start_ms / 1000 / envelope.frame_seconds)
        stop = peak + round(stop_ms / 1000 / envelope.frame_seconds) + 1
        full = float(np.square(rms[start:stop]).sum())
        high = float(np.square(bright[start:stop]).sum())
        shares.append(max(10 * math.log10(high / full), FLOOR_DB) if full > 0 and high > 0 else 0.0)
    return shares


def describe(sound, spec, mel: np.ndarray, tonal: np.ndarray, bright: np.ndarray) -> np.ndarray:
    """The vector named by TIMBRE_NAMES for a measured sound (a ``Measurements``).

    ``spec``, ``mel`` and ``tonal`` are the spectrogram, its mel power and tonal
    mask; ``bright`` is the short-time RMS of the first difference.
    """
    envelope = sound.envelope
    if sound.silent:
        return np.zeros(len(TIMBRE_NAMES))
    peak = int(envelope.rms.argmax())
    pitch_drop = (
        math.log2(sound.dominant_hz / sound.settled_hz)
        if sound.dominant_hz > 0 and sound.settled_hz > 0
        else 0.0
    )
    values = [
        *segment_profiles(mel, spec.active),
        *sound.mfcc_means[1 : N_MFCC_USED + 1],
        *sound.mfcc_stds[1 : N_MFCC_USED + 1],
        *spectral_shape(sound),
        sound.upper_harmonic_ratio,
        log_floor(sound.dominant_hz, 10.0),
        log_floor(sound.settled_hz, 10.0),
        pitch_drop,
        sound.pitch_classes,
        sound.bursts,
        *sound.band_shares,
        log_floor(envelope.attack_time, 1e-3),
        *(log_floor(seconds, 1e-3) for seconds in decay_times(envelope, peak)),
        log_floor(envelope.sounding_time, 1e-3),
        max(envelope.end_to_peak_db, FLOOR_DB),
        math.log1p(len(sound.onsets.times)),
        spectral.harmonic_ratio(spec, tonal, low_hz=METAL_HZ),
        *early_levels(envelope),
        *brightness(envelope, bright, peak),
    ]
    return np.nan_to_num(np.asarray(values, dtype=np.float64))

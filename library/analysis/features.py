"""The fixed-length feature vector used for "sounds like" nearest-neighbour search.

Values are on scales where distances mean something (logs of frequencies and
times), but not standardised: the caller standardises each column over the
library (z-scores) before cosine or euclidean distances.
"""

import math

import numpy as np

from library.analysis.measure import Measurements
from library.analysis.spectral import N_MFCC
from library.analysis.timbre import log_floor, spectral_shape

FEATURE_NAMES = (
    *(f"mfcc_mean_{index}" for index in range(1, N_MFCC + 1)),
    *(f"mfcc_std_{index}" for index in range(1, N_MFCC + 1)),
    "log_spectral_centroid",  # ln(Hz)
    "log_spectral_rolloff",  # ln(Hz)
    "log_spectral_bandwidth",  # ln(Hz)
    "log10_spectral_flatness",
    "zero_crossing_rate",  # crossings per sample
    "harmonic_ratio",  # tonal share of the energy, 0..1
    "band_share_below_150hz",
    "band_share_150_500hz",
    "band_share_500_2000hz",
    "band_share_2000_5000hz",
    "band_share_above_5000hz",
    "log_attack_time",  # ln(s), 10 % to 90 % of the peak level
    "log_decay_time",  # ln(s), peak until 30 dB down
    "temporal_centroid",  # 0..1 of the duration, where the energy sits
    "log_duration",  # ln(s)
    "log1p_onset_rate",  # ln(1 + onsets per second)
    "crest_factor_db",  # peak over RMS
)


def feature_vector(sound: Measurements, peak: float, rms: float) -> list[float]:
    """The values named by FEATURE_NAMES, in that order, rounded to 5 decimals."""
    envelope = sound.envelope
    crest = 20 * math.log10(peak / rms) if peak > 0 and rms > 0 else 0.0
    values = [
        *sound.mfcc_means,
        *sound.mfcc_stds,
        *spectral_shape(sound),
        *sound.band_shares,
        log_floor(envelope.attack_time, 1e-3),
        log_floor(envelope.decay_time, 1e-3),
        envelope.temporal_centroid,
        log_floor(sound.duration, 1e-3),
        math.log1p(sound.onset_rate),
        crest,
    ]
    return [round(float(value), 5) for value in np.nan_to_num(values)]

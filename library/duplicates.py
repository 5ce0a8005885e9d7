"""Find duplicates in a library: the same audio in other files, formats or trims.

Candidate pairs come from the feature vectors the similarity index keeps (close
in codec-noise units, silence-sensitive dimensions left out); each candidate
pair is then decoded and its audio compared band by band.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.signal import correlate

from library import analysis
from library.analysis import ANALYSIS_RATE, FEATURE_NAMES
from library.analysis.decoding import analysis_signal
from library.analysis.spectral import mel_filterbank
from library.models import Sample
from library.similarity import codec_noise, owner_index, raw_vectors, save_soon

# Thresholds measured on 43 generated sounds, each in 8 versions (WAV, MP3 at two
# bitrates, OGG, FLAC, 48 kHz, 200 ms of silence added as WAV and MP3): all 1,204
# pairs of copies match. Per band, copies correlate at least 0.997, 0.965, 0.883,
# 0.815; different sounds of equal trimmed length reached 1.0 (a shared tonal body),
# 0.815, 0.614, 0.394. Copies' trimmed lengths differ by <= 10 ms + 3 %, their
# log-mel by <= 2.0 dB; the 3 dB guard turns away low-passed and saturated variants
# that the bands let through. Same-length snares, hats and claps with other noise,
# kicks detuned 3-6 %, 808s a semitone apart: none match. Two drum loops differing
# only in hit velocities (<= 15 %) do: their waveforms are nearly the same.

# Leading or trailing silence moves these, so duplicates are matched without them.
SILENCE_SENSITIVE = {"temporal_centroid", "log_duration", "log1p_onset_rate", "crest_factor_db"}
# RMS distance (codec-noise units, silence-free dimensions) below which two samples
# are compared as audio: copies reached 4.0 at most, 2.8 at the 99th percentile.
DUPLICATE_CANDIDATE_DISTANCE = 5.0
# Bounds the pairs to decode at this many per sample, however dense the library.
# With 8, all 8 versions of 41 of the 43 sounds joined up; three drum loops that
# differ only in tempo (not among these features) crowd each other, so two of them
# formed two candidate clusters each, so each would be listed as two groups.
DUPLICATE_NEIGHBOURS = 8
EXACT = "identical audio, different file"
REENCODED = "same audio, another format or level"  # Decoded samples are compared at unit energy.
TRIMMED = "same audio after trimming silence"
LEAST_EXACT_LAST = (EXACT, REENCODED, TRIMMED)
MAX_SPECTRAL_DIFFERENCE_DB = 3.0
TRIM_LEVEL = 10 ** (-50 / 20)  # Of the peak: quieter ends count as silence.
COMPARED_SECONDS = 10
MAX_SHIFT_SECONDS = 0.05  # Encoder delay and padding.
MEL_FFT, MEL_HOP, MEL_BANDS = 1024, 256, 40
BAND_EDGES_HZ = (500, 2000, 6000)
MIN_BAND_CORRELATION = (0.98, 0.9, 0.8, 0.65)  # Below, between and above the edges.
MIN_BAND_SHARE = 0.05


@dataclass(frozen=True)
class DuplicateGroup:
    """Samples holding the same audio, listed for the owner to review."""

    sample_ids: tuple[int, ...]
    reason: str


@dataclass(frozen=True)
class Heard:
    """A sample decoded once for comparison: trimmed, mono, unit energy."""

    fingerprint: str  # Of the decoded samples and their rate.
    signal: np.ndarray
    trimmed_seconds: float
    total_seconds: float


def find_duplicates(owner, progress=None) -> list[DuplicateGroup]:
    """Groups of the owner's samples that hold the same audio (decodes the candidates).

    `progress(checked, candidates, samples)` is called as the pairs are compared.
    """
    ids, vectors = raw_vectors(owner_index(owner))
    pairs = sorted({(int(ids[a]), int(ids[b])) for a, b in candidate_pairs(vectors)})
    save_soon(owner)
    report = (lambda checked, total: progress(checked, total, len(ids))) if progress else None
    return grouped(confirmed(owner, pairs, report))


def candidate_pairs(vectors: np.ndarray, block: int = 1024) -> np.ndarray:
    """Row pairs (i < j): each row's DUPLICATE_NEIGHBOURS nearest within DUPLICATE_CANDIDATE_DISTANCE.

    Rows are sorted by spectral centroid: an RMS distance of T over k dimensions
    keeps every single one within T * sqrt(k), so a block meets only its window.
    """
    if len(vectors) < 2:
        return np.empty((0, 2), dtype=np.int64)
    kept = [i for i, name in enumerate(FEATURE_NAMES) if name not in SILENCE_SENSITIVE]
    units = vectors[:, kept] / [codec_noise(FEATURE_NAMES[i]) for i in kept]
    units = (units - units.mean(axis=0)).astype(np.float32)  # Centred: precise float32.
    key = units[:, kept.index(FEATURE_NAMES.index("log_spectral_centroid"))]
    order = np.argsort(key, kind="stable")
    units, key = units[order], key[order]
    norms = np.einsum("ij,ij->i", units, units)
    reach = DUPLICATE_CANDIDATE_DISTANCE * np.sqrt(len(kept))
    found = [np.empty((0, 2), dtype=np.int64)]
    for start in range(0, len(units), block):
        stop = min(start + block, len(units))
        low, high = np.searchsorted(key, [key[start] - reach, key[stop - 1] + reach])
        near = []
        for left in range(low, high, 16 * block):  # Bounded memory per product.
            right = min(left + 16 * block, high)
            products = units[start:stop] @ units[left:right].T
            squared = norms[start:stop, None] + norms[None, left:right] - 2 * products
            rows, cols = np.nonzero(squared <= reach**2)
            near.append((rows + start, cols + left, squared[rows, cols]))
        found.append(nearest_per_row(*map(np.concatenate, zip(*near, strict=True))))
    pairs = np.unique(np.sort(np.concatenate(found), axis=1), axis=0)
    return order[pairs]


def nearest_per_row(rows, cols, squared) -> np.ndarray:
    """(row, col) pairs keeping each row's DUPLICATE_NEIGHBOURS nearest other rows."""
    other = rows != cols
    rows, cols, squared = rows[other], cols[other], squared[other]
    ranked = np.lexsort((squared, rows))
    rows, cols = rows[ranked], cols[ranked]
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    rank = np.arange(rows.size) - np.repeat(starts, np.diff(np.r_[starts, rows.size]))
    keep = rank < DUPLICATE_NEIGHBOURS
    return np.stack([rows[keep], cols[keep]], axis=1)


PROGRESS_EVERY = 50  # Pairs compared between progress reports.


def confirmed(owner, pairs, progress=None) -> list[tuple[int, int, str]]:
    """The candidate pairs whose decoded audio matches, with the reason;
    `progress(checked, total)` hears how far it got."""
    # Stored files only: a loop's slices are parts of one file, not copies of another.
    stored = Sample.objects.owned_by(owner).filter(parent__isnull=True)
    samples = stored.in_bulk({i for pair in pairs for i in pair})
    hear_cached = lru_cache(maxsize=128)(lambda sample_id: hear(samples[sample_id]))
    matches = []
    for checked, (first, second) in enumerate(pairs):
        if progress and checked % PROGRESS_EVERY == 0:
            progress(checked, len(pairs))
        if first in samples and second in samples:
            reason = same_audio(hear_cached(first), hear_cached(second))
            if reason:
                matches.append((first, second, reason))
    if progress:
        progress(len(pairs), len(pairs))
    return matches


def hear(sample) -> Heard | None:
    """Decode a sample for comparison; None when it cannot be read or is silent."""
    try:
        decoded = analysis.load_audio(sample.file.path)
    except (analysis.AnalysisError, OSError, ValueError):
        return None
    digest = hashlib.sha256(str((*decoded.samples.shape, decoded.info.sample_rate)).encode())
    digest.update(np.ascontiguousarray(decoded.samples).data)
    mono = analysis_signal(decoded.mono(), decoded.info.sample_rate)
    loud = np.flatnonzero(np.abs(mono) >= np.abs(mono).max(initial=0) * TRIM_LEVEL)
    if loud.size == 0 or not mono.any():
        return None
    part = mono[loud[0] : loud[-1] + 1]
    compared = part[: COMPARED_SECONDS * ANALYSIS_RATE].astype(np.float64)
    return Heard(digest.hexdigest(), compared / np.linalg.norm(compared),
                 part.size / ANALYSIS_RATE, decoded.info.duration)  # fmt: skip


def same_audio(first: Heard | None, second: Heard | None) -> str | None:
    """Why two decoded samples are the same audio, or None when they are not."""
    if first is None or second is None:
        return None
    if first.fingerprint == second.fingerprint:
        return EXACT
    tolerance = 0.015 + 0.03 * max(first.trimmed_seconds, second.trimmed_seconds)
    if abs(first.trimmed_seconds - second.trimmed_seconds) > tolerance:
        return None
    first_part, second_part = aligned(first.signal, second.signal)
    if not bands_agree(first_part, second_part):
        return None
    if spectral_difference_db(first_part, second_part) > MAX_SPECTRAL_DIFFERENCE_DB:
        return None
    return TRIMMED if abs(first.total_seconds - second.total_seconds) > tolerance else REENCODED


def aligned(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The overlapping parts once shifted (within MAX_SHIFT_SECONDS) to correlate best."""
    # Both start where the sound starts, so their first two seconds fix the lag.
    window = 2 * ANALYSIS_RATE
    full = correlate(first[:window], second[:window], mode="full", method="fft")
    lags = np.arange(-min(second.size, window) + 1, min(first.size, window))
    near = np.abs(lags) <= MAX_SHIFT_SECONDS * ANALYSIS_RATE
    shift = int(lags[near][np.argmax(full[near])])
    first, second = (first[shift:], second) if shift > 0 else (first, second[-shift:])
    length = min(first.size, second.size)
    return first[:length], second[:length]


def bands_agree(first: np.ndarray, second: np.ndarray) -> bool:
    """Whether every band holding MIN_BAND_SHARE of either signal's energy correlates enough.

    Per band, because two snares with different noise correlate 0.8 overall (their
    tonal bodies agree) and near 0 above 2 kHz; and per band its own threshold,
    because codecs keep low bands' waveform but only high bands' spectral envelope.
    """
    spectra = np.fft.rfft(first), np.fft.rfft(second)
    bands = np.searchsorted(BAND_EDGES_HZ, np.fft.rfftfreq(first.size, 1 / ANALYSIS_RATE))
    count = len(BAND_EDGES_HZ) + 1
    energy = [np.bincount(bands, np.abs(spectrum) ** 2, count) for spectrum in spectra]
    cross = np.bincount(bands, np.real(spectra[0] * np.conj(spectra[1])), count)
    correlation = cross / np.sqrt(energy[0] * energy[1] + 1e-30)
    shares = np.maximum(energy[0] / energy[0].sum(), energy[1] / energy[1].sum())
    return bool(np.all((correlation >= MIN_BAND_CORRELATION) | (shares < MIN_BAND_SHARE)))


def spectral_difference_db(first: np.ndarray, second: np.ndarray) -> float:
    """Mean absolute log-mel difference (dB) of aligned signals over their loud part."""
    first_db, second_db = log_mel_db(first), log_mel_db(second)
    top = max(first_db.max(), second_db.max())
    # A floor 60 dB down keeps near-silent bands (which codecs drop) from counting.
    first_db, second_db = np.maximum(first_db, top - 60), np.maximum(second_db, top - 60)
    loud = (first_db > top - 40) | (second_db > top - 40)
    return float(np.abs(first_db - second_db)[loud].mean())


def log_mel_db(audio: np.ndarray) -> np.ndarray:
    padded = np.pad(audio, (0, max(0, MEL_FFT - audio.size)))
    frames = np.lib.stride_tricks.sliding_window_view(padded, MEL_FFT)[::MEL_HOP]
    power = np.abs(np.fft.rfft(frames * np.hanning(MEL_FFT), axis=1)) ** 2
    return 10 * np.log10(power @ mel_filterbank(ANALYSIS_RATE, MEL_FFT, MEL_BANDS) + 1e-12)


def grouped(matches) -> list[DuplicateGroup]:
    """Join matching pairs into groups; a group's reason is its least exact pair's."""
    parent: dict[int, int] = {}

    def root(sample_id: int) -> int:
        while parent.setdefault(sample_id, sample_id) != sample_id:
            sample_id = parent[sample_id]
        return sample_id

    for first, second, _ in matches:
        parent[root(first)] = root(second)
    members, reasons = defaultdict(set), defaultdict(set)
    for first, second, reason in matches:
        members[root(first)] |= {first, second}
        reasons[root(first)].add(reason)
    groups = [
        DuplicateGroup(tuple(sorted(members[key])), max(reasons[key], key=LEAST_EXACT_LAST.index))
        for key in members
    ]
    return sorted(groups, key=lambda group: group.sample_ids)

"""``analyze``: one decode, one spectrogram, every result the library stores."""

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from library.analysis import (
    categories,
    features,
    kind,
    loudness,
    naming,
    pitch,
    spectral,
    tonality,
)
from library.analysis.decoding import ANALYSIS_RATE, DecodedAudio, analysis_signal, load_audio
from library.analysis.measure import Measurements, measure

# Bumped whenever a change makes earlier results incomparable (feature vector, categories);
# `manage.py analyze --outdated` re-analyses what an older version measured.
# 13: a sub note under the chroma's band (a clean sine 808 below G1) gets its note;
# 12: a tonal loop's tempo slows to where its chords change on the bar lines, a
# note whose own harmonics make three pitch classes gets its note;
# 11: soft hits on a tempo's grid count towards a loop, MFCCs that do not move
# with the level (and the category model trained on them);
# 10: a one-drop's bar told by its kicks, backbeat rules for drums only, keys
# from the square roots of their evidence;
# 9: networks and a linear model vote on categories;
# 8: loops of whole bars, fills; 7: octaves kept in range; 6: learned keys.
ANALYSIS_VERSION = 13
DEFAULT_TEMPO_RANGE = (70.0, 180.0)
CHORD_PITCH_CLASSES = 3
# Descriptors come from the first ten minutes: enough for any sample, and it
# bounds memory (a spectrogram of ten minutes is already about 100 MB).
MAX_MEASURED_SECONDS = 600


@dataclass(frozen=True)
class AnalysisResult:
    """Everything measured about one file; field names are part of the app's API."""

    duration: float
    sample_rate: int
    channels: int
    bit_depth: int | None
    format: str
    peak: float
    peak_db: float
    rms: float
    rms_db: float
    loudness_lufs: float | None
    bpm: float | None
    bpm_confidence: float | None
    onset_rate: float
    key: str | None
    scale: str | None
    key_confidence: float
    pitch: str | None  # "A1": the note of a pitched one-shot, which then has no key.
    pitch_midi: int | None
    pitch_cents: int | None  # -50..50 off equal temperament (A4 = 440 Hz).
    spectral_centroid: float
    spectral_rolloff: float
    spectral_bandwidth: float
    spectral_flatness: float
    zero_crossing_rate: float
    harmonic_ratio: float
    mfcc: list[float]
    kind: str
    kind_confidence: float
    category: str
    category_confidence: float
    category_source: str
    feature_vector: list[float]
    waveform_peaks: list[list[float]]
    onset_times: list[list[float]]  # [seconds, strength relative to the strongest] per attack

    def to_dict(self) -> dict:
        """Plain JSON-ready values: numpy numbers become Python ones."""
        return plain(dataclasses.asdict(self))


def plain(value):
    """The value in plain JSON types: None, bool, int, float, str, list and dict.

    The analysis computes with numpy, whose scalars (float32 above all) are not
    JSON; neither are NaN and infinity, which become None.
    """
    if isinstance(value, np.generic | np.ndarray):
        value = value.tolist()
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return str(value)


def analyze(
    path,
    *,
    name_hint: str = "",
    folder_hint: str = "",
    tempo_range: tuple[float, float] = DEFAULT_TEMPO_RANGE,
) -> AnalysisResult:
    """Decode a file once and analyse it; raises AnalysisError when it cannot be decoded."""
    return analyze_decoded(
        load_audio(path), name_hint=name_hint, folder_hint=folder_hint, tempo_range=tempo_range
    )


def analyze_decoded(
    decoded: DecodedAudio, *, name_hint="", folder_hint="", tempo_range=DEFAULT_TEMPO_RANGE
) -> AnalysisResult:
    """Analyse audio already decoded by ``load_audio``."""
    info = decoded.info
    mono = decoded.mono()
    signal = analysis_signal(mono[: MAX_MEASURED_SECONDS * info.sample_rate], info.sample_rate)
    sound = measure(signal, ANALYSIS_RATE)
    hints = naming.read_name(name_hint, folder_hint)
    loop = kind.decide(sound, name_hint, hints.kind, tempo_range)
    category = categories.categorize(sound, loop.kind, hints)
    note = _pitch(signal, sound, loop.kind, category.name)
    key = tonality.NO_KEY if note else _key(sound, category.name)
    levels = _levels(decoded)
    return AnalysisResult(
        duration=round(info.duration, 6),
        sample_rate=info.sample_rate,
        channels=info.channels,
        bit_depth=info.bit_depth,
        format=info.format,
        **levels,
        bpm=loop.bpm,
        bpm_confidence=loop.bpm_confidence,
        key=key.tonic,
        scale=key.scale,
        key_confidence=key.confidence,
        pitch=note.name if note else None,
        pitch_midi=note.midi if note else None,
        pitch_cents=note.cents if note else None,
        **_descriptors(sound),
        kind=loop.kind,
        kind_confidence=loop.confidence,
        category=category.name,
        category_confidence=category.confidence,
        category_source=category.source,
        feature_vector=features.feature_vector(sound, levels["peak"], levels["rms"]),
        waveform_peaks=loudness.waveform_peaks(mono),
        onset_times=_onset_times(sound),
    )


def sound_vector(decoded: DecodedAudio) -> list[float]:
    """The similarity features of audio compared with the library but not kept (a query):
    the same vector ``analyze_decoded`` stores, without the rest of the analysis."""
    info = decoded.info
    signal = analysis_signal(
        decoded.mono()[: MAX_MEASURED_SECONDS * info.sample_rate], info.sample_rate
    )
    peak, rms = loudness.peak_and_rms(decoded.samples)
    return features.feature_vector(measure(signal, ANALYSIS_RATE), round(peak, 6), round(rms, 6))


def _onset_times(sound: Measurements) -> list[list[float]]:
    """Each attack's time (to the 0.1 ms) and strength relative to the strongest (0..1)."""
    times, strengths = sound.onsets.times, sound.onsets.strengths
    if not len(times):
        return []
    relative = strengths / max(float(strengths.max()), 1e-12)
    return [[round(float(t), 4), round(float(s), 3)] for t, s in zip(times, relative, strict=True)]


def _levels(decoded: DecodedAudio) -> dict:
    peak, rms = loudness.peak_and_rms(decoded.samples)
    lufs = loudness.integrated_loudness(decoded.samples, decoded.info.sample_rate)
    return {
        "peak": round(peak, 6),
        "peak_db": round(loudness.to_db(peak), 2),
        "rms": round(rms, 6),
        "rms_db": round(loudness.to_db(rms), 2),
        "loudness_lufs": None if lufs is None else round(lufs, 2),
    }


def _descriptors(sound: Measurements) -> dict:
    return {
        "onset_rate": round(sound.onset_rate, 3),
        "spectral_centroid": round(sound.centroid, 2),
        "spectral_rolloff": round(sound.rolloff, 2),
        "spectral_bandwidth": round(sound.bandwidth, 2),
        "spectral_flatness": round(sound.flatness, 6),
        "zero_crossing_rate": round(sound.zero_crossing_rate, 6),
        "harmonic_ratio": round(min(max(sound.harmonic_ratio, 0.0), 1.0), 4),
        "mfcc": [round(float(value), 4) for value in sound.mfcc_means],
    }


def _pitch(signal, sound: Measurements, kind_found: str, category: str) -> pitch.Pitch | None:
    if sound.silent or kind_found != "one-shot" or not categories.may_have_pitch(category):
        return None
    found = pitch.estimate(signal, ANALYSIS_RATE)
    if found is None or sound.pitch_classes < CHORD_PITCH_CLASSES:
        return found
    # A note under the chroma's band (below G1: a sub 808) leaves the band only its
    # window's leakage and noise, read as many pitch classes; when most of the sound
    # lies under the band, nothing above it makes a chord of the note.
    if found.hz < spectral.CHROMA_LOW_HZ and sound.chroma_band_share < 0.5:
        return found
    # Three pitch classes or more: a chord (a stab, a progression over a bass),
    # which has a key, where somewhere a class sounds that none of the note's low
    # harmonics reach; or one note whose third and fifth harmonics sound nearly as
    # strongly as it (brass, reeds, a saw), all its own.
    # The pitch classes are tuned to the file's own reference: a note sung 45
    # cents sharp may sit in the class above the note it rounds to.
    neighbours = {found.midi, found.midi + (found.cents > 0) - (found.cents < 0)}
    explained = any(pitch.harmonics_explain(sound.chroma.frames, midi) for midi in neighbours)
    return found if explained else None


def _key(sound: Measurements, category: str) -> tonality.Key:
    if sound.silent or not categories.may_have_key(category):
        return tonality.NO_KEY
    return tonality.estimate_key(sound.chroma, sound.harmonic_ratio)

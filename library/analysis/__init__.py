"""Audio analysis: decoding checks, levels, tempo, key, loop / one-shot and category.

Pure computation: it takes paths (or decoded arrays) and returns dataclasses,
and never imports Django.  Public API:

- ``probe(path) -> AudioInfo``: decode the whole file, reject broken ones.
- ``load_audio(path) -> DecodedAudio``: decode once, to reuse for analysis.
- ``analyze(path, *, name_hint, folder_hint, tempo_range) -> AnalysisResult``.
- ``AnalysisError``: raised with a message meant for a musician.
- ``CATEGORIES``, ``FEATURE_NAMES`` (what each feature_vector entry is),
  ``ANALYSIS_VERSION``.
"""

from library.analysis.core import ANALYSIS_VERSION, AnalysisResult, analyze, analyze_decoded
from library.analysis.decoding import (
    ANALYSIS_RATE,
    AnalysisError,
    AudioInfo,
    DecodedAudio,
    load_audio,
    probe,
)
from library.analysis.features import FEATURE_NAMES
from library.vocabulary import CATEGORIES

__all__ = [
    "ANALYSIS_RATE",
    "ANALYSIS_VERSION",
    "CATEGORIES",
    "FEATURE_NAMES",
    "AnalysisError",
    "AnalysisResult",
    "AudioInfo",
    "DecodedAudio",
    "analyze",
    "analyze_decoded",
    "load_audio",
    "probe",
]

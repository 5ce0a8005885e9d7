"""Audio analysis: decoding checks, levels, tempo, key, loop / one-shot and category.

Pure computation: it takes paths (or decoded arrays) and returns dataclasses,
and never imports Django.  Public API:

- ``probe(path) -> AudioInfo``: decode the whole file, reject broken ones.
- ``load_audio(path) -> DecodedAudio``: decode once, to reuse for analysis.
- ``analyze(path, *, name_hint, folder_hint, tempo_range) -> AnalysisResult``.
- ``sound_vector(decoded) -> list[float]``: the similarity features alone, for a query.
- ``AnalysisError``: raised with a message meant for a musician.
- ``CATEGORIES``, ``FEATURE_NAMES`` (what each feature_vector entry is),
  ``ANALYSIS_VERSION``.

Each name loads its module on first use: decoding alone (all an import's checks
need) takes 0.1 s to import, the whole engine (librosa, scipy.signal, numba)
1.4 s.
"""

import importlib

from library.vocabulary import CATEGORIES

# Public name -> the module of this package that defines it.
_EXPORTS = {
    "ANALYSIS_VERSION": "core",
    "AnalysisResult": "core",
    "analyze": "core",
    "analyze_decoded": "core",
    "sound_vector": "core",
    "ANALYSIS_RATE": "decoding",
    "AnalysisError": "decoding",
    "AudioInfo": "decoding",
    "DecodedAudio": "decoding",
    "load_audio": "decoding",
    "probe": "decoding",
    "FEATURE_NAMES": "features",
}

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
    "sound_vector",
]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value  # Found directly from now on.
    return value


def __dir__():
    return sorted({*globals(), *__all__})

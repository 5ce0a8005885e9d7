"""Warming the analysis engine up: librosa's numba kernels are compiled, or loaded from
numba's cache, on their first use in a process (about a second even when cached)."""

import numpy as np

from library.analysis.core import analyze_decoded
from library.analysis.decoding import AudioInfo, DecodedAudio

SAMPLE_RATE = 44100


def click_loop(seconds: float = 2.0, bpm: float = 120.0) -> np.ndarray:
    """A short loop of decaying clicks on the beat."""
    audio = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)
    beat = int(SAMPLE_RATE * 60 / bpm)
    hit = np.exp(-np.arange(2000) / 200.0).astype(np.float32)
    for start in range(0, audio.size - hit.size, beat):
        audio[start : start + hit.size] += hit
    return audio * 0.8


def warm_up() -> None:
    """Analyse a generated loop once, so that later analyses in this process run at full speed."""
    audio = click_loop()
    info = AudioInfo(
        duration=audio.size / SAMPLE_RATE,
        sample_rate=SAMPLE_RATE,
        channels=1,
        bit_depth=None,
        format="wav",
        frames=audio.size,
    )
    analyze_decoded(DecodedAudio(info, audio[:, None]), name_hint="warm.wav")

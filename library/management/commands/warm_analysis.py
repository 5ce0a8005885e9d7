"""Run the analysis once on generated audio so later runs start fast."""

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from django.core.management.base import BaseCommand

SAMPLE_RATE = 44100


def click_loop(seconds: float = 2.0, bpm: float = 120.0) -> np.ndarray:
    """A short loop of decaying clicks on the beat."""
    audio = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)
    beat = int(SAMPLE_RATE * 60 / bpm)
    hit = np.exp(-np.arange(2000) / 200.0).astype(np.float32)
    for start in range(0, audio.size - hit.size, beat):
        audio[start : start + hit.size] += hit
    return audio * 0.8


class Command(BaseCommand):
    help = "Warm the analysis engine's caches (compiled kernels) so a fresh worker starts fast."

    def handle(self, *args, **options):
        started = time.perf_counter()
        from library.analysis import analyze  # Here, so that its import is part of the time.

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "warm.wav"
            sf.write(path, click_loop(), SAMPLE_RATE)
            analyze(path, name_hint="warm.wav")
        elapsed = time.perf_counter() - started
        cache = os.environ.get("NUMBA_CACHE_DIR", "next to librosa's sources")
        self.stdout.write(f"Analysis engine ready ({elapsed:.1f} s); compiled kernels in {cache}.")

"""Stretching loops for previews: which stretcher, how fast, and how good.

Stretches generated 4-bar loops (a stereo drum loop and a stereo chord loop,
44.1 kHz, 95 BPM) to 90 and 120 BPM with Rubber Band (pylibrb) in three
settings and with librosa's phase vocoder, and prints for each:

- time per loop (the second call; the first pays for loading and compiling);
- frames against the exact length a loop needs to loop in time;
- the tempo the app's own analysis reads in the result (the target, or not);
- for the chord loop, the key it reads (the pitch kept, or not);
- attack sharpness: the median rise of the 3 ms level envelope at each drum
  hit, as a share of the original's (phase vocoders smear attacks).

The baseline is reading and writing the same audio with soundfile, in the same
process (so the ratio says what a stretch costs beyond moving the bytes).

    .venv/bin/python bench/stretch.py
"""

import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pylibrb import Option

from library import stretching
from library.analysis import analyze
from tests import audiogen

RATE = 44100
BPM = 95.0
SETTINGS = {
    "rubber band R3, short window (chosen)": Option.ENGINE_FINER | Option.WINDOW_SHORT,
    "rubber band R3, standard window": Option.ENGINE_FINER,
    "rubber band R2 (faster engine)": Option.ENGINE_FASTER,
}


def rubber_band(options):
    def run(audio, ratio):
        kept = stretching.OPTIONS
        stretching.OPTIONS = Option.PROCESS_OFFLINE | options
        try:
            return stretching.stretch(audio, RATE, ratio)
        finally:
            stretching.OPTIONS = kept

    return run


def phase_vocoder(audio, ratio):
    import librosa

    return librosa.effects.time_stretch(np.ascontiguousarray(audio.T), rate=1 / ratio).T


def timed(run, audio, ratio) -> tuple[np.ndarray, float]:
    run(audio, ratio)  # The first call loads and compiles.
    started = time.perf_counter()
    out = run(audio, ratio)
    return out, time.perf_counter() - started


def heard(audio) -> tuple[float | None, str]:
    buffer = io.BytesIO()
    sf.write(buffer, audio, RATE, format="WAV", subtype="FLOAT")
    path = Path("/tmp/sp404-bench-stretch.wav")
    path.write_bytes(buffer.getvalue())
    result = analyze(path)
    return result.bpm, f"{result.key or '-'} {result.scale or ''}".strip()


def attack_sharpness(audio, bpm) -> float:
    """Median largest rise of the 3 ms level envelope near each sixteenth of the loop."""
    mono = audio.mean(axis=1)
    hop = int(0.003 * RATE)
    frames = len(mono) // hop
    level = np.sqrt(np.mean(mono[: frames * hop].reshape(frames, hop) ** 2, axis=1) + 1e-12)
    rise = np.diff(20 * np.log10(level))
    step = RATE * 60 / bpm / 4 / hop
    rises = []
    for index in range(int(frames / step)):
        centre = int(index * step)
        window = rise[max(centre - 3, 0) : centre + 6]
        if window.size:
            rises.append(window.max())
    return statistics.median(rises)


def main() -> None:
    loops = {
        "drums": audiogen.stereo(audiogen.drum_loop(BPM, 4, RATE)).astype(np.float32),
        "chords": audiogen.stereo(audiogen.melodic_loop("A", "minor", BPM, 4, RATE)).astype(
            np.float32
        ),
    }
    started = time.perf_counter()
    for audio in loops.values():
        buffer = io.BytesIO()
        sf.write(buffer, audio, RATE, format="WAV")
        sf.read(io.BytesIO(buffer.getvalue()))
    baseline = (time.perf_counter() - started) / len(loops)
    print(f"loops: 4 bars at {BPM:.0f} BPM, {len(loops['drums']) / RATE:.2f} s, stereo {RATE} Hz")
    print(f"baseline (write and read the loop as WAV): {baseline * 1000:.1f} ms\n")
    sharp = attack_sharpness(loops["drums"], BPM)
    _bpm, key = heard(loops["chords"])
    print(f"original: attack rise {sharp:.1f} dB, chord loop read as {key}\n")
    header = f"{'stretcher':40} {'target':>6} {'time':>8} {'x base':>7} {'frames off':>10} {'tempo read':>10} {'attacks':>8} {'key read':>10}"
    print(header)
    runs = {**{name: rubber_band(options) for name, options in SETTINGS.items()}}
    runs["librosa phase vocoder"] = phase_vocoder
    for name, run in runs.items():
        for target in (90.0, 120.0):
            ratio = BPM / target
            drums, seconds = timed(run, loops["drums"], ratio)
            chords, _ = timed(run, loops["chords"], ratio)
            exact = round(len(loops["drums"]) * ratio)
            tempo, _ = heard(drums)
            _, key = heard(chords)
            share = attack_sharpness(drums, target) / sharp
            print(
                f"{name:40} {target:6.0f} {seconds * 1000:7.0f}ms {seconds / baseline:6.0f}x "
                f"{len(drums) - exact:10d} {tempo or 0:10.2f} {share:7.0%} {key:>10}"
            )


if __name__ == "__main__":
    main()

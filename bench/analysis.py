"""Throughput of library.analysis against a naive librosa pipeline, on one core.

Usage: .venv/bin/python bench/analysis.py [--quick] [--files N] [--keep DIR] [--accuracy]

Generates a fixed set of samples (mostly one-shots of 0.1-2 s, the rest loops
of 1-8 bars; 44.1/48/96 kHz; WAV, FLAC and MP3), warms both pipelines up
(numba compiles librosa's kernels on first use), then analyses every file and
reports seconds of audio per CPU-second (time.process_time) and files per
second, for one-shots and loops separately.  Finally it times a fresh Python
process importing the module and analysing one one-shot, then one loop.

--accuracy then prints how right the analysis is on real recordings from Debian
packages (downloaded and rendered once into ~/.cache/sp404site, some minutes on
first use): key and scale of tonal loops, major and minor apart (bench/keys.py),
tempo of rendered drum and tonal loops and no tempo on pulseless sounds
(bench/tempo.py), and the pitch of recorded notes (bench/pitch.py).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from library.analysis import analyze  # noqa: E402  (needs the project on sys.path)
from tests import audiogen  # noqa: E402

RATES = (44100, 48000, 96000)
FORMATS = ("wav", "flac", "mp3")
ONE_SHOT_SHARE = 0.75
TARGETS = {"loop_realtime": 150.0, "one_shot_files_per_second": 50.0, "ratio": 6.0}


@dataclass
class Tally:
    """CPU time spent on a group of files, and how much audio they held."""

    files: int = 0
    audio_seconds: float = 0.0
    cpu_seconds: float = 0.0
    failures: list = field(default_factory=list)

    def add(self, audio_seconds: float, cpu_seconds: float) -> None:
        self.files += 1
        self.audio_seconds += audio_seconds
        self.cpu_seconds += cpu_seconds

    @property
    def realtime(self) -> float:
        return self.audio_seconds / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def files_per_second(self) -> float:
        return self.files / self.cpu_seconds if self.cpu_seconds else 0.0


def one_shot(rng, sr: int) -> np.ndarray:
    """A random one-shot of 0.1-2 s from the generators."""
    seconds = float(rng.uniform(0.1, 2.0))
    seed = int(rng.integers(1_000_000))
    makers = [
        lambda: audiogen.kick(sr, seconds=seconds, seed=seed),
        lambda: audiogen.snare(sr, seconds=seconds, seed=seed),
        lambda: audiogen.clap(sr, seconds=seconds, seed=seed),
        lambda: audiogen.closed_hat(sr, seconds=min(seconds, 0.3), seed=seed),
        lambda: audiogen.open_hat(sr, seconds=seconds, seed=seed),
        lambda: audiogen.tom(sr, seconds=seconds, seed=seed),
        lambda: audiogen.bass_note(int(rng.integers(28, 45)), seconds, sr),
        lambda: audiogen.pad_chord("C", "minor", seconds, sr),
        lambda: audiogen.normalize(audiogen.note(int(rng.integers(60, 84)), seconds, sr)),
    ]
    return makers[int(rng.integers(len(makers)))]()


def loop(rng, sr: int) -> np.ndarray:
    """A random drum or melodic loop of 1-8 bars at 70-170 BPM."""
    bpm = float(rng.integers(70, 171))
    bars = int(rng.choice([1, 2, 4, 8]))
    if rng.random() < 0.6:
        return audiogen.drum_loop(bpm, bars, sr, seed=int(rng.integers(1000)))
    return audiogen.melodic_loop("A", "minor", bpm, bars, sr)


def generate(folder: Path, count: int) -> list[tuple[Path, str]]:
    """Write the benchmark set; returns (path, kind) pairs."""
    rng = np.random.default_rng(404)
    files = []
    for index in range(count):
        kind = "one-shot" if index < round(count * ONE_SHOT_SHARE) else "loop"
        sr = int(rng.choice(RATES))
        suffix = str(rng.choice(FORMATS))
        if suffix == "mp3" and sr > 48000:
            suffix = "flac"  # MP3 stops at 48 kHz.
        audio = one_shot(rng, sr) if kind == "one-shot" else loop(rng, sr)
        path = audiogen.write(folder / f"{index:04d}-{kind}.{suffix}", audiogen.stereo(audio), sr)
        files.append((path, kind))
    return files


def naive_pipeline(path: Path) -> None:
    """What a first attempt with librosa looks like: several transforms per feature."""
    import librosa

    y, sr = librosa.load(path, sr=22050)
    librosa.beat.beat_track(y=y, sr=sr)
    librosa.feature.chroma_cqt(y=y, sr=sr)
    librosa.feature.spectral_centroid(y=y, sr=sr)
    librosa.feature.spectral_rolloff(y=y, sr=sr)
    librosa.feature.spectral_bandwidth(y=y, sr=sr)
    librosa.feature.spectral_flatness(y=y)
    librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13)
    librosa.effects.hpss(y)


def ours(path: Path) -> None:
    analyze(path, name_hint=path.name)


def measure(pipeline, files) -> dict[str, Tally]:
    """Run a pipeline over every file, timing each on the CPU clock."""
    tallies = {"one-shot": Tally(), "loop": Tally()}
    for path, kind in files:
        seconds = soundfile.info(str(path)).duration
        start = time.process_time()
        try:
            pipeline(path)
        except Exception as error:  # A benchmark reports failures instead of stopping.
            tallies[kind].failures.append(f"{path.name}: {error}")
        tallies[kind].add(seconds, time.process_time() - start)
    return tallies


def total(tallies: dict[str, Tally]) -> Tally:
    groups = tallies.values()
    return Tally(
        files=sum(tally.files for tally in groups),
        audio_seconds=sum(tally.audio_seconds for tally in groups),
        cpu_seconds=sum(tally.cpu_seconds for tally in groups),
    )


def report(name: str, tallies: dict[str, Tally]) -> None:
    print(f"\n{name}")
    for kind, tally in [*tallies.items(), ("all", total(tallies))]:
        print(
            f"  {kind:9s} {tally.files:4d} files  {tally.audio_seconds:8.1f} s audio  "
            f"{tally.cpu_seconds:7.2f} s CPU  {tally.realtime:8.1f}x real time  "
            f"{tally.files_per_second:7.1f} files/s  ({tally.files_per_second * 60:.0f}/min)"
        )
        for failure in tally.failures[:5]:
            print(f"    failed: {failure}")


def fresh_process_seconds(path: Path) -> tuple[float, float]:
    """Wall time of a new interpreter importing the module and analysing one file."""
    code = (
        "import time; start = time.perf_counter()\n"
        "from library.analysis import analyze\n"
        "imported = time.perf_counter()\n"
        f"analyze({str(path)!r})\n"
        "print(imported - start, time.perf_counter() - start)"
    )
    started = time.perf_counter()
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    whole = time.perf_counter() - started
    return whole, float(output.stdout.split()[0])


def verdicts(ours_tallies, naive_tallies) -> list[str]:
    ratio = total(ours_tallies).realtime / max(total(naive_tallies).realtime, 1e-9)
    loop_speed = ours_tallies["loop"].realtime
    one_shot_rate = ours_tallies["one-shot"].files_per_second
    return [
        f"loops: {loop_speed:.0f}x real time (target {TARGETS['loop_realtime']:.0f}x)"
        f" {'PASS' if loop_speed >= TARGETS['loop_realtime'] else 'FAIL'}",
        f"one-shots: {one_shot_rate * 60:.0f} files/min (target "
        f"{TARGETS['one_shot_files_per_second'] * 60:.0f}/min)"
        f" {'PASS' if one_shot_rate >= TARGETS['one_shot_files_per_second'] else 'FAIL'}",
        f"whole set: {ratio:.1f}x the naive pipeline's throughput (target "
        f"{TARGETS['ratio']:.0f}x) {'PASS' if ratio >= TARGETS['ratio'] else 'FAIL'}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 files instead of 200")
    parser.add_argument("--files", type=int, help="how many files to generate")
    parser.add_argument("--keep", type=Path, help="write the set here and keep it")
    parser.add_argument(
        "--accuracy", action="store_true", help="then key, tempo and pitch on real recordings"
    )
    args = parser.parse_args()
    count = args.files or (40 if args.quick else 200)
    # Importing librosa's modules compiles numba kernels (about 15 s); the app
    # caches them in its data directory (settings.py), and so does this.
    data_dir = Path(os.environ.get("SP404_DATA_DIR") or ROOT / "data")
    os.environ.setdefault("NUMBA_CACHE_DIR", str(data_dir / "numba-cache"))
    warnings.filterwarnings("ignore")  # librosa warns about n_fft on short one-shots.
    # One core: BLAS thread pools would add other cores' CPU time to process_time.
    with threadpool_limits(1), tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        files = generate(folder, count)
        print(f"{len(files)} files in {folder}; warming up (numba compiles librosa's kernels)...")
        for path, _kind in files[:: max(1, len(files) // 8)]:
            ours(path)
            naive_pipeline(path)
        ours_tallies = measure(ours, files)
        naive_tallies = measure(naive_pipeline, files)
        report("library.analysis.analyze", ours_tallies)
        report("naive librosa pipeline", naive_tallies)
        print()
        for line in verdicts(ours_tallies, naive_tallies):
            print(line)
        # The first file is a one-shot (it reads the category model), the last a loop.
        for path, kind in (files[0], files[-1]):
            whole, importing = fresh_process_seconds(path)
            print(
                f"fresh process: {whole:.2f} s wall to start Python, import the module "
                f"({importing:.2f} s) and analyse one {kind} (target 3 s)"
            )
    if args.accuracy:
        accuracy()


def accuracy() -> None:
    """Key, tempo and pitch on real recordings, each benchmark printing its own figures."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import keys
    import pitch
    import tempo

    for title, module, figures in (
        ("Keys", keys, keys.key_figures),
        ("Tempo", tempo, tempo.tempo_figures),
        ("Pitch", pitch, pitch.pitch_figures),
    ):
        print(f"\n== {title} ==")
        module.report(figures())


if __name__ == "__main__":
    main()

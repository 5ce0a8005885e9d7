"""Benchmark SP-404MK2 conversion against a plain soundfile read and write of the same files.

Usage: .venv/bin/python bench/export.py [--quick]

Generates one-shots and loops from mixed sources in a temporary directory, converts
and verifies them all to 48 kHz / 16-bit WAV, copies them with soundfile as the
baseline, and converts one long file under tracemalloc to show memory stays flat.
Then writes 160 of the converted files as an SP-404MK2 project (.SMP files and
PADCONF.BIN, read back), against copying the same files as they are.
"""

import argparse
import multiprocessing
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

# Run from a checkout without installing the project.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from exports import sp404, sp404_project

# (sample rate, libsndfile subtype, channels) of the generated sources, used in turn.
SOURCE_KINDS = [
    (44100, "PCM_16", 1),
    (44100, "PCM_24", 2),
    (96000, "PCM_24", 2),
    (96000, "FLOAT", 1),
    (44100, "FLOAT", 2),
    (48000, "PCM_16", 2),
    (48000, "FLOAT", 1),
]
MB = 1_000_000


@dataclass(frozen=True)
class Sizes:
    """How much to generate for one run."""

    one_shots: int
    loops: int
    long_minutes: float


FULL = Sizes(one_shots=500, loops=50, long_minutes=10)
QUICK = Sizes(one_shots=100, loops=10, long_minutes=2)


def one_shot(rng: np.random.Generator, rate: int, channels: int) -> np.ndarray:
    """A decaying noise-and-sine hit of 0.1 to 2 seconds."""
    frames = int(rng.uniform(0.1, 2.0) * rate)
    time_s = np.arange(frames) / rate
    envelope = np.exp(-time_s * rng.uniform(3, 30))
    body = np.sin(2 * np.pi * rng.uniform(40, 2000) * time_s)
    noise = rng.uniform(-1, 1, (frames, channels))
    hit = (0.6 * body[:, None] + 0.4 * noise) * envelope[:, None]
    # Some float sources run hot, as bounces from a DAW often do.
    return hit * rng.uniform(0.3, 1.3)


def loop(rng: np.random.Generator, rate: int, channels: int) -> np.ndarray:
    """Whole bars (about 2 to 8 seconds) of hits on every beat at a random tempo."""
    tempo_bpm = rng.uniform(90, 160)
    bars = max(1, round(rng.uniform(2, 8) * tempo_bpm / 240))
    beat_frames = int(rate * 60 / tempo_bpm)
    signal = np.zeros((beat_frames * 4 * bars, channels))
    for beat in range(4 * bars):
        hit = one_shot(rng, rate, channels)[:beat_frames]
        signal[beat * beat_frames : beat * beat_frames + len(hit)] += hit
    return signal / max(1.0, np.abs(signal).max() / 0.9)


def generate_sources(folder: Path, sizes: Sizes, rng: np.random.Generator) -> list[Path]:
    """Write the one-shots and loops in turn through the source kinds."""
    paths = []
    makers = [one_shot] * sizes.one_shots + [loop] * sizes.loops
    for index, maker in enumerate(makers):
        rate, subtype, channels = SOURCE_KINDS[index % len(SOURCE_KINDS)]
        signal = maker(rng, rate, channels)
        if subtype != "FLOAT":
            signal = np.clip(signal, -1, 0.999)
        path = folder / f"{maker.__name__}_{index:04d}.wav"
        sf.write(path, signal.astype(np.float32), rate, subtype=subtype)
        paths.append(path)
    return paths


def generate_long_file(path: Path, minutes: float, rng: np.random.Generator) -> Path:
    """A long 96 kHz stereo 24-bit loop, written in blocks to keep this script small."""
    rate, block_frames = 96000, 1 << 18
    total = int(minutes * 60 * rate)
    with sf.SoundFile(path, "w", rate, 2, "PCM_24") as output:
        for start in range(0, total, block_frames):
            frames = min(block_frames, total - start)
            output.write(rng.uniform(-0.5, 0.5, (frames, 2)).astype(np.float32))
    return path


def generate_everything(root: Path, sizes: Sizes) -> tuple[list[Path], Path]:
    """All sources for one run: the short files and the long one."""
    rng = np.random.default_rng(404)
    sources = generate_sources(root / "src", sizes, rng)
    return sources, generate_long_file(root / "long" / "long.wav", sizes.long_minutes, rng)


def generate_in_child(root: Path, sizes: Sizes) -> tuple[list[Path], Path]:
    """Generate in a separate process so this one's peak RSS reflects conversion only."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(generate_everything, (root, sizes))


def max_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB


def convert_all(sources: list[Path], out_dir: Path) -> tuple[float, list[float]]:
    """Convert and verify every source; return seconds and peak RSS at 10/50/100 %."""
    options = sp404.ExportOptions()
    checkpoints = {len(sources) // 10, len(sources) // 2, len(sources)}
    rss = []
    started = time.perf_counter()
    for count, source in enumerate(sources, start=1):
        result = sp404.convert(source, out_dir / source.name, options)
        check = sp404.verify(result.path, result)
        if not check.ok:
            raise SystemExit(f"{source.name}: {check.problems}")
        if count in checkpoints:
            rss.append(max_rss_mb())
    return time.perf_counter() - started, rss


def copy_all(sources: list[Path], out_dir: Path) -> float:
    """The baseline: read and write each file with soundfile, unchanged."""
    started = time.perf_counter()
    for source in sources:
        data, rate = sf.read(source, dtype="float32")
        sf.write(out_dir / source.name, data, rate, subtype=sf.info(source).subtype)
    return time.perf_counter() - started


def traced_conversion(source: Path, out_dir: Path) -> tuple[float, float, float]:
    """Convert one long file under tracemalloc; return seconds, traced peak MB, RSS growth MB."""
    rss_before = max_rss_mb()
    tracemalloc.start()
    started = time.perf_counter()
    sp404.convert(source, out_dir / source.name)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / MB, max_rss_mb() - rss_before


def write_project(converted: list[Path], folder: Path) -> float:
    """The converted files on pads A1... as a project, read back; returns seconds."""
    started = time.perf_counter()
    project = sp404_project.Project(name="BENCH")
    (folder / "SMPL").mkdir(parents=True)
    for index, path in enumerate(converted):
        bank, number = sp404_project.pad_of(index)
        with (
            sf.SoundFile(path) as sound,
            open(folder / "SMPL" / sp404_project.smp_name(bank, number), "wb") as out,
        ):
            blocks = sound.blocks(1 << 16, dtype="int16", always_2d=True)
            sp404_project.write_smp(out, blocks, sound.frames, sound.channels)
            project.pad(bank, number).set_audio(sound.frames, sound.channels)
    (folder / "PADCONF.BIN").write_bytes(sp404_project.write_padconf(project))
    if sp404_project.read_padconf((folder / "PADCONF.BIN").read_bytes()) != project:
        raise SystemExit("The project did not read back as written.")
    return time.perf_counter() - started


def copy_files(paths: list[Path], folder: Path) -> float:
    """The baseline for a project: the same files copied byte for byte."""
    started = time.perf_counter()
    folder.mkdir()
    for path in paths:
        shutil.copyfile(path, folder / path.name)
    return time.perf_counter() - started


def total_mb(paths: list[Path]) -> float:
    """The size of the files in MB."""
    return sum(path.stat().st_size for path in paths) / MB


def report_rate(label: str, count: int, megabytes: float, seconds: float) -> None:
    """Print one throughput line."""
    print(f"{label:<34} {count:4d} files {seconds:7.2f} s  {count / seconds:7.1f} files/s  "
          f"{megabytes / seconds:7.1f} MB/s (source)")  # fmt: skip


def run(sizes: Sizes) -> None:
    """Generate, convert, copy and report."""
    with tempfile.TemporaryDirectory(prefix="sp404-bench-") as temp:
        root = Path(temp)
        for name in ("src", "converted", "copied", "long"):
            (root / name).mkdir()
        started = time.perf_counter()
        sources, long_source = generate_in_child(root, sizes)
        print(f"generated {len(sources)} files ({total_mb(sources):.1f} MB) and a "
              f"{sizes.long_minutes:g}-minute file ({total_mb([long_source]):.0f} MB) "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        report_all(sources, long_source, root, sizes)


def report_all(sources: list[Path], long_source: Path, root: Path, sizes: Sizes) -> None:
    """Time each phase and print the figures."""
    warm_up = sources[0]
    sp404.convert(warm_up, root / "warm-up.wav")
    copy_all([warm_up], root / "copied")
    rss_start = max_rss_mb()
    one_shots, loops = sources[: sizes.one_shots], sources[sizes.one_shots :]
    shot_seconds, shot_rss = convert_all(one_shots, root / "converted")
    loop_seconds, loop_rss = convert_all(loops, root / "converted")
    copy_seconds = copy_all(sources, root / "copied")
    convert_seconds = shot_seconds + loop_seconds
    print()
    report_rate("convert+verify one-shots", len(one_shots), total_mb(one_shots), shot_seconds)
    report_rate("convert+verify loops", len(loops), total_mb(loops), loop_seconds)
    report_rate("convert+verify all", len(sources), total_mb(sources), convert_seconds)
    report_rate("baseline soundfile read+write", len(sources), total_mb(sources), copy_seconds)
    print(f"ratio convert/baseline time: {convert_seconds / copy_seconds:.2f}x")
    print()
    checkpoints = ", ".join(f"{value:.1f}" for value in [*shot_rss, *loop_rss])
    print(f"peak RSS before converting: {rss_start:.1f} MB; during one-shots (10/50/100 %) "
          f"and loops (10/50/100 %): {checkpoints} MB")  # fmt: skip
    print(f"peak RSS growth over the whole export: {max_rss_mb() - rss_start:.1f} MB")
    info = sf.info(long_source)
    decoded_mb = info.frames * info.channels * 4 / MB
    seconds, traced_mb, rss_growth = traced_conversion(long_source, root / "converted")
    print(f"long file {info.duration / 60:.0f} min 96 kHz stereo 24-bit "
          f"({total_mb([long_source]):.0f} MB; {decoded_mb:.0f} MB if decoded whole as float32): "
          f"{seconds:.1f} s, tracemalloc peak {traced_mb:.1f} MB, "
          f"peak RSS growth {rss_growth:.1f} MB")  # fmt: skip
    pads = sorted((root / "converted").glob("loop_*.wav"))[:10]
    pads += sorted((root / "converted").glob("one_shot_*.wav"))[
        : sp404_project.PAD_COUNT - len(pads)
    ]
    copy_files(pads[:2], root / "project-warm-up")
    write_project(pads[:2], root / "project-warm-up-2")
    project_seconds = write_project(pads, root / "project")
    baseline_seconds = copy_files(pads, root / "project-copied")
    print()
    report_rate("project: .SMP + PADCONF, read back", len(pads), total_mb(pads), project_seconds)
    report_rate("baseline: copy the same files", len(pads), total_mb(pads), baseline_seconds)
    print(f"ratio project/baseline time: {project_seconds / baseline_seconds:.2f}x")


def main() -> None:
    """Parse the command line and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run for a quick check")
    sizes = QUICK if parser.parse_args().quick else FULL
    run(sizes)


if __name__ == "__main__":
    main()

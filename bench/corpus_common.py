"""What every source of the corpora shares: the packages, the labelled example, trimming, writing WAV files and the analysis worker pool."""

import multiprocessing
import os
import re
import shutil
import subprocess
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import soxr

RATE = 44100

MAX_SECONDS = 6.0

SILENT_PEAK = 1e-4  # -80 dBFS: a note the kit does not map renders as (near) digital silence

ONSET_RATIO = 10 ** (-50 / 20)

TAIL_RATIO = 10 ** (-60 / 20)

PACKAGES = ("lmms-common", "avldrums.lv2-soundfont", "timgm6mb-soundfont", "freepats")


def analysis_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """Worker processes for the analysis, started once its kernels are compiled here.

    librosa compiles its numba kernels on first use and caches them on disk. Two
    workers compiling at once on a fresh machine wrote a corrupt cache, and every
    later process died of a segfault in `yin`; so this process compiles them
    first, and the workers, spawned rather than forked (forked ones died in the
    same kernels), only read the cache.
    """
    from library.analysis.warm import warm_up

    warm_up()
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(workers or os.cpu_count() or 2, mp_context=context)


@dataclass(frozen=True)
class Example:
    """One labelled one-shot: a WAV file plus the name and folder it would have in a library."""

    path: Path
    source: str
    label: str
    name: str
    folder: str


def fetch_packages(cache_dir: Path) -> Path:
    """Download and unpack the Debian packages once; return the unpacked root."""
    debs, root = cache_dir / "debs", cache_dir / "extracted"
    debs.mkdir(parents=True, exist_ok=True)
    missing = [package for package in PACKAGES if not any(debs.glob(f"{package}_*.deb"))]
    if missing and subprocess.run(["apt-get", "download", *missing], cwd=debs).returncode:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "download", *missing], cwd=debs, check=True)
    for package in PACKAGES:
        marker = root / f".{package}.unpacked"
        if not marker.exists():
            deb = sorted(debs.glob(f"{package}_*.deb"))[-1]
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
            marker.touch()
    return root


def ensure_fluidsynth() -> str:
    """Path of the fluidsynth command, installing Debian's package when it is missing."""
    if not shutil.which("fluidsynth"):
        install = ["apt-get", "install", "-y", "-qq", "fluidsynth"]
        if subprocess.run(install, stdout=subprocess.DEVNULL).returncode:
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(install, stdout=subprocess.DEVNULL, check=True)
    return shutil.which("fluidsynth") or "fluidsynth"


def trim(audio: np.ndarray) -> np.ndarray | None:
    """Cut silence before the attack and the tail below -60 dB; None for a silent render."""
    level = np.abs(audio).max(axis=1)
    peak = float(level.max(initial=0.0))
    if peak < SILENT_PEAK:
        return None
    start = max(0, int(np.argmax(level >= peak * ONSET_RATIO)) - int(0.003 * RATE))
    end = int(np.flatnonzero(level >= peak * TAIL_RATIO)[-1]) + 1
    capped = end - start > MAX_SECONDS * RATE
    out = audio[start : min(end, start + int(MAX_SECONDS * RATE))].copy()
    # A short fade keeps the cut click-free; a longer one where the 6 s cap cuts a sound.
    fade = min(len(out), int((0.05 if capped else 0.005) * RATE))
    out[len(out) - fade :] *= np.linspace(1.0, 0.0, fade, dtype=out.dtype)[:, None]
    return out


def to_pcm(audio: np.ndarray) -> np.ndarray:
    """16-bit samples, mono when both channels are equal, scaled down only if they would clip."""
    if audio.shape[1] == 2 and np.array_equal(audio[:, 0], audio[:, 1]):
        audio = audio[:, :1]
    peak = float(np.abs(audio).max())
    if peak > 0.999:
        audio = audio * (0.999 / peak)
    return np.round(audio * 32767).astype(np.int16)


def write_wav(path: Path, pcm: np.ndarray) -> None:
    """Write 44.1 kHz 16-bit PCM, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, pcm, RATE, subtype="PCM_16")


def safe_file_name(name: str) -> str:
    """A name usable as a file name on any system (slashes and the like replaced)."""
    return re.sub(r'[/\\:*?"<>|]', "-", name)


def example_at(cache_dir: Path, source: str, label: str, name: str, folder: str) -> Example:
    """An example whose WAV file goes under cache_dir/wav/<source>/<folder>/."""
    path = cache_dir / "wav" / source / folder / f"{Path(safe_file_name(name)).stem}.wav"
    return Example(path, source, label, name, folder)


def save_recording(audio: np.ndarray, rate: int, example: Example) -> Example | None:
    """Resample to 44.1 kHz, trim and write one recorded sample; None if it is silent."""
    audio = audio.reshape(len(audio), -1).astype(np.float32)
    if rate != RATE:
        audio = soxr.resample(audio, rate, RATE).astype(np.float32).reshape(-1, audio.shape[1])
    trimmed = trim(audio)
    if trimmed is None:
        return None
    write_wav(example.path, to_pcm(trimmed))
    return example

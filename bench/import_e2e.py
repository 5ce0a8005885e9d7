"""End-to-end import benchmark: 2,000 short one-shots imported and analysed by the cluster.

Runs what `make run` runs (migrate, the django-q2 cluster with its default two
workers, `manage.py import_samples`) in a fresh data directory, and reports the
wall time from the start of the import until every sample is analysed. The
baseline, timed in the same run, is the least any import must do: read every
file, hash it and copy it.

    .venv/bin/python bench/import_e2e.py [--files 2000]
"""

import argparse
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import audiogen  # noqa: E402

MAKERS = [audiogen.kick, audiogen.snare, audiogen.clap, audiogen.closed_hat, audiogen.open_hat]


def generate(folder: Path, count: int) -> list[Path]:
    """Distinct one-shots of 0.1-1 s at 44.1 and 48 kHz."""
    rng = np.random.default_rng(7)
    paths = []
    bases = {(maker, rate): maker(rate) for maker in MAKERS for rate in (44100, 48000)}
    for index in range(count):
        maker = MAKERS[index % len(MAKERS)]
        rate = (44100, 48000)[index % 2]
        sound = bases[(maker, rate)]
        length = min(sound.size, int(rate * rng.uniform(0.1, 1.0)))
        gain = rng.uniform(0.3, 0.95)
        audio = sound[:length] * gain + rng.normal(0, 1e-4, length)
        path = folder / f"{maker.__name__}_{index:04d}.wav"
        sf.write(path, audio.astype(np.float32), rate, subtype="PCM_16")
        paths.append(path)
    return paths


def baseline(paths: list[Path], target: Path) -> float:
    target.mkdir()
    started = time.perf_counter()
    for path in paths:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        shutil.copyfile(path, target / f"{digest}.wav")
    return time.perf_counter() - started


def ready_count(database: Path) -> tuple[int, int]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as connection:
        return connection.execute(
            "SELECT SUM(status IN ('ready', 'failed')), COUNT(*) FROM library_sample"
        ).fetchone()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sp404-bench-"))
    try:
        run(work, args.files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, count: int) -> None:
    source = work / "one-shots"
    source.mkdir()
    paths = generate(source, count)
    megabytes = sum(path.stat().st_size for path in paths) / 1e6
    print(f"generated {count} one-shots ({megabytes:.1f} MB)")

    env = {**os.environ, "SP404_DATA_DIR": str(work / "data"), "DATABASE_URL": ""}
    # Keep the compiled-kernel cache of the real data directory, as make run does.
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / "data" / "numba-cache"))
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "warm_analysis"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*manage, "shell", "-c",
         "from django.contrib.auth.models import User; User.objects.create_user('bench')"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    database = work / "data" / "sp404site.sqlite3"
    cluster = subprocess.Popen(
        [*manage, "qcluster"], cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(3)  # the cluster's workers start
        started = time.perf_counter()
        subprocess.run(
            [*manage, "import_samples", str(source), "--user", "bench"],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )  # fmt: skip
        imported = time.perf_counter() - started
        while True:
            done, total = ready_count(database)
            if total and done == total:
                break
            time.sleep(0.2)
        finished = time.perf_counter() - started
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait()
    floor = baseline(paths, work / "baseline")
    print(
        f"import (hash, decode check, store, rows):   {imported:6.1f} s  {count / imported:7.1f} files/s"
    )
    print(
        f"import + analysis by the cluster (2 workers): {finished:6.1f} s  {count / finished:7.1f} files/s"
    )
    print(
        f"baseline read + hash + copy:                {floor:6.1f} s  {count / floor:7.1f} files/s"
    )
    print(f"ratio end-to-end / baseline: {finished / floor:.1f}x")


if __name__ == "__main__":
    main()

"""End-to-end import benchmark: 2,000 short one-shots imported and analysed by the cluster.

Runs what `make run` runs (migrate, the django-q2 cluster with its default two
workers, `manage.py import_samples`) in a fresh data directory, and reports the
wall time from the start of the import until every sample is analysed, with
the stages on the way (first row stored, first sample analysed, import
finished) and the CPU time spent. The import starts once the cluster is idle,
its workers warmed up, as under make run. The baseline, timed in the same run, is the least any import must
do: read every file, hash it and copy it. --repeat times several imports, each
in a fresh data directory, against the same baseline.

    .venv/bin/python bench/import_e2e.py [--files 2000] [--repeat 3]
"""

import argparse
import hashlib
import os
import resource
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

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TIME_LIMIT = 900  # seconds an import and its analysis may take before the run is abandoned
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
        done, total = connection.execute(
            "SELECT SUM(status IN ('ready', 'failed')), COUNT(*) FROM library_sample"
        ).fetchone()
    return done or 0, total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1, help="Imports timed, each afresh.")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sp404-bench-"))
    try:
        run(work, args.files, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, count: int, repeat: int) -> None:
    source = work / "one-shots"
    source.mkdir()
    paths = generate(source, count)
    megabytes = sum(path.stat().st_size for path in paths) / 1e6
    print(f"generated {count} one-shots ({megabytes:.1f} MB)")
    runs = [timed_import(work / f"run-{index}", source, count) for index in range(repeat)]
    floor = baseline(paths, work / "baseline")
    for stages in runs:
        report(stages, count, floor)
    if repeat > 1:
        print(f"median end-to-end: {np.median([stages['analysed'] for stages in runs]):.1f} s")


def timed_import(work: Path, source: Path, count: int) -> dict[str, float]:
    """Seconds from the start of the import: rows stored, first and last sample analysed."""
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
    stages = {}
    try:
        # As under make run, where the cluster has long been up when an import starts.
        stages["cluster ready"] = wait_until_idle(cluster.pid)
        log = work / "import.log"
        cluster_cpu = group_cpu(cluster.pid)
        cluster_cpu_before = sum(cluster_cpu.values())
        cpu_before = children_cpu()
        started = time.perf_counter()
        with log.open("w") as output:
            importer = subprocess.Popen(
                [*manage, "import_samples", str(source), "--user", "bench"],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
        while time.perf_counter() - started < TIME_LIMIT:
            done, total = ready_count(database) if database.exists() else (0, 0)
            now = time.perf_counter() - started
            if total and "first row" not in stages:
                stages["first row"] = now
            if done and "first analysed" not in stages:
                stages["first analysed"] = now
            if "imported" not in stages and importer.poll() is not None:
                if importer.returncode:
                    raise RuntimeError(f"import_samples failed:\n{log.read_text()}")
                stages["imported"] = now
                stages["analysed during import"] = done
                stages["import cpu"] = children_cpu() - cpu_before
            cluster_cpu |= group_cpu(cluster.pid)
            if "imported" in stages and total == count and done == total:
                stages["analysed"] = now
                stages["cluster cpu"] = sum(cluster_cpu.values()) - cluster_cpu_before
                return stages
            time.sleep(0.1)
        raise RuntimeError(f"Not done after {TIME_LIMIT} s: {stages}")
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait()


def wait_until_idle(group: int) -> float:
    """Seconds until the cluster's processes have started and its workers warmed up: its
    CPU time stops growing (3 s at least, 60 at most)."""
    started = time.perf_counter()
    time.sleep(3)
    busy = sum(group_cpu(group).values())
    while time.perf_counter() - started < 60:
        time.sleep(1)
        busy, before = sum(group_cpu(group).values()), busy
        if busy - before < 0.05:
            break
    return time.perf_counter() - started


def group_cpu(group: int) -> dict[int, float]:
    """CPU seconds so far of each live process in a process group, by process id."""
    seconds = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # It ended meanwhile.
        if int(fields[2]) == group:  # pgrp, then utime and stime in clock ticks
            seconds[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return seconds


def children_cpu() -> float:
    """CPU seconds (user and system) of the child processes that have ended."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def report(stages: dict[str, float], count: int, floor: float) -> None:
    imported, finished = stages["imported"], stages["analysed"]
    print(
        f"first row stored at {stages['first row']:.1f} s, first sample analysed at "
        f"{stages['first analysed']:.1f} s, {stages['analysed during import']:.0f} of "
        f"{count} analysed when the import ended"
    )
    print(
        f"import (hash, decode check, store, rows):   {imported:6.1f} s  {count / imported:7.1f} files/s"
        f"  {imported / floor:6.1f}x baseline"
    )
    print(
        f"import + analysis by the cluster (2 workers): {finished:6.1f} s  {count / finished:7.1f} files/s"
        f"  {finished / floor:6.1f}x baseline"
    )
    print(
        f"baseline read + hash + copy:                {floor:6.1f} s  {count / floor:7.1f} files/s"
    )
    print(
        f"CPU time: import {stages['import cpu']:.1f} s, cluster {stages['cluster cpu']:.1f} s "
        f"(once ready: it started and warmed up in {stages['cluster ready']:.1f} s)"
    )


if __name__ == "__main__":
    main()

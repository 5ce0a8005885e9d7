"""What bench/load.py runs against: its audio, its library, its database, and `manage.py serve`.

Everything here is bounded and loopback-only: a PostgreSQL database made for the
run and dropped after it, an empty Redis database flushed before and after, and
`serve` (gunicorn plus the django-q2 cluster) stopped with every process it started.
"""

import contextlib
import hashlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import numpy as np
import soundfile as sf

from tests import audiogen

ROOT = Path(__file__).resolve().parents[1]
DRUMS = [audiogen.kick, audiogen.snare, audiogen.clap, audiogen.closed_hat, audiogen.open_hat, audiogen.tom]  # fmt: skip
# Library samples given a real audio file, which the clients audition.
AUDITIONED = 150
BENCH_DATABASE = "sp404_bench_load"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# Clock ticks per second, for the CPU times in /proc/<pid>/stat.
TICKS = os.sysconf("SC_CLK_TCK")


def one_shot(index: int, rng: np.random.Generator, rate: int) -> np.ndarray:
    """A drum hit of random length, or a tone of random pitch; no two alike."""
    if index % 8 == 6:
        sound = audiogen.note(int(rng.integers(48, 84)), rng.uniform(0.3, 1.5), sr=rate)
    elif index % 8 == 7:
        sound = audiogen.bass_note(int(rng.integers(28, 45)), rng.uniform(0.4, 1.5), sr=rate)
    else:
        sound = DRUMS[index % 8](rate, seed=int(rng.integers(1_000_000)))
        sound = sound[: max(rate // 20, int(rate * rng.uniform(0.1, 1.0)))]
    sound = sound * rng.uniform(0.3, 0.95) + rng.normal(0, 1e-4, sound.size)
    return sound.astype(np.float32)


def generate(folder: Path, count: int, seed: int) -> list[str]:
    """Write `count` one-shots (44.1/48 kHz, 16/24 bit, some stereo); their SHA-256s."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    hashes = []
    for index in range(count):
        rate = (44100, 48000)[index % 2]
        sound = one_shot(index, rng, rate)
        if index % 3 == 0:
            sound = audiogen.stereo(sound, seed=index)
        path = folder / f"one_shot_{seed}_{index:04d}.wav"
        sf.write(path, sound, rate, subtype=("PCM_16", "PCM_24")[index % 2])
        hashes.append(hashlib.sha256(path.read_bytes()).hexdigest())
    return hashes


def audition_sound(sample, rng: np.random.Generator) -> np.ndarray:
    """Audio as long as the row says: one hit, or a loop of hits on the beat."""
    rate = sample.sample_rate
    frames = max(1, round(sample.duration * rate))
    hit = DRUMS[int(rng.integers(len(DRUMS)))](rate, seed=int(rng.integers(1_000_000)))
    step = round(rate * 60 / sample.tempo_bpm) if sample.tempo_bpm else frames
    audio = np.zeros(frames, dtype=np.float32)
    for start in range(0, frames, step):
        part = hit[: frames - start]
        audio[start : start + part.size] += part
    return audiogen.stereo(audio) if sample.channels == 2 else audio


@dataclass
class Plan:
    """What the clients ask for: library samples, those with audio, one kit each."""

    sample_ids: list[int]
    audition_ids: list[int]
    kit_ids: list[int]


def fill_library(count: int, clients: int) -> Plan:
    """Rows as bench/library.py makes them, audio files for some, and a kit per client."""
    # Importing it sets Django up, on the database the environment now names.
    from django.conf import settings

    from bench import library as library_bench
    from kits.models import Kit
    from library.models import Sample

    started = time.perf_counter()
    owner = library_bench.fill(count)
    library_bench.refresh_statistics()
    ids = list(Sample.objects.filter(owner=owner).values_list("pk", flat=True))
    rng = np.random.default_rng(3)
    chosen = random.Random(3).sample(ids, min(AUDITIONED, len(ids)))
    for sample in Sample.objects.filter(pk__in=chosen):
        path = Path(settings.MEDIA_ROOT) / sample.file.name
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, audition_sound(sample, rng), sample.sample_rate, subtype="PCM_24")
    kits = [Kit.objects.create(owner=owner, name=f"Load kit {n}").pk for n in range(clients)]
    seconds = time.perf_counter() - started
    print(f"filled {count:,} samples ({len(chosen)} with audio) in {seconds:.0f} s")
    return Plan(ids, chosen, kits)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def postgres_database(admin_url: str):
    """Yield the URL of a fresh database next to the one `admin_url` names; drop it after."""
    import psycopg

    parts = urlsplit(admin_url)
    bench_url = urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))

    def run(statement: str) -> None:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(statement)

    run(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
    run(f"CREATE DATABASE {BENCH_DATABASE}")
    try:
        yield bench_url
    finally:
        run(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")


@contextlib.contextmanager
def redis_database():
    """Yield the URL of an empty Redis database (db 1-15, chosen at random); flush it after."""
    import redis

    empty = []
    for number in range(1, 16):
        with redis.Redis(REDIS_HOST, REDIS_PORT, db=number) as connection:
            if connection.dbsize() == 0:
                empty.append(number)
    if not empty:
        raise RuntimeError("Redis has no empty database among 1-15 to run the benchmark in.")
    number = random.choice(empty)
    with redis.Redis(REDIS_HOST, REDIS_PORT, db=number) as connection:
        connection.flushdb()
        try:
            yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{number}"
        finally:
            connection.flushdb()


def manage(env: dict, *arguments: str) -> subprocess.CompletedProcess:
    """Run a manage.py command as `make run` does, failing loudly."""
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def spawn(env: dict, *arguments: str, log: Path) -> subprocess.Popen:
    """Start a manage.py command in the background, its output in `log`."""
    with open(log, "ab") as output:
        return subprocess.Popen(
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (serve's gunicorn and cluster masters)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def group_cpu_seconds(group: int) -> float:
    """CPU seconds used by a process group's live processes and the children they reaped."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the name: state ppid pgrp ... utime(12) stime(13) cutime(14) cstime(15).
        if int(fields[2]) == group:
            total += sum(int(value) for value in fields[11:15])
    return total / TICKS


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent on anything but idling, since boot."""
    # cpu  user nice system idle iowait irq softirq steal ...
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICKS


class Server:
    """`manage.py serve` on 127.0.0.1, its output in a log file."""

    def __init__(self, env: dict, port: int, log_path: Path):
        self.env = {**env, "SP404_PORT": str(port), "SP404_BIND": "127.0.0.1"}
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.process = None
        self.groups = {}

    def start(self, timeout: float = 90) -> None:
        """Start serve and wait until the login page answers."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "serve"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve stopped at start:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/accounts/login/", timeout=5).status_code == 200:
                    self.groups = self.child_groups()
                    return
            time.sleep(0.5)
        raise RuntimeError(f"serve did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def child_groups(self) -> dict[str, int]:
        """{"web": gunicorn's process group, "worker": the cluster's}: each leads its own."""
        groups = {}
        for pid in children_of(self.process.pid):
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            groups["web" if b"gunicorn" in command else "worker"] = pid
        return groups

    def cpu_seconds(self) -> dict[str, float]:
        return {name: group_cpu_seconds(group) for name, group in self.groups.items()}

    def stop(self, grace: float = 40) -> None:
        """SIGTERM to serve (it stops its children in order); SIGKILL to every group if stuck."""
        if self.process is None:
            return
        groups = list(self.groups.values()) or children_of(self.process.pid)
        stopped = self.process.poll() is None
        if stopped:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                stopped = False
        if not stopped:  # serve died early or hung: its children may still run.
            for group in [self.process.pid, *groups]:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(group, signal.SIGKILL)
        self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def log_count(self, text: str) -> int:
        return self.log_path.read_text(errors="replace").count(text)

"""Scaled out: two worker clusters on one Redis queue and one PostgreSQL database.

An import's analysis and previews are shared between the clusters, and every
task it queues runs exactly once. The runs are counted from the probe's log of
what each process did (tests/core/scale_out_probe.py), not from django-q2's
rows, which keep no success here and would hide a second one anyway.
"""

import io
import json
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django_q.models import Failure

from core.supervisor import stop_groups
from library.models import AudioFeatures, Sample
from tests import audiogen
from tests.core.scale_out_probe import LOG_VARIABLE
from tests.files import write_audio

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
# A database of its own on the usual Redis, flushed before and after.
REDIS_URL = os.environ.get("SP404_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
FILES = 64  # four analysis tasks of 16 samples each (imports.models.ANALYSIS_FLUSH)
FLAC_EVERY = 4  # every fourth file is a FLAC, which browsers play from a preview
ANALYSE = "library.tasks.analyze_samples"
PREVIEW = "library.tasks.make_preview"
MAKERS = (audiogen.kick, audiogen.snare, audiogen.clap, audiogen.closed_hat, audiogen.tom)
# From the clusters' start until the import's last task has ended (about 15 s).
DEADLINE = 75
QUIET = 1.0  # Once every task has ended, how long to watch for one that runs again.
STOP_GRACE = 10  # A cluster with nothing to do stops in about 2 s.


@pytest.fixture
def queue_redis():
    """The Redis database both clusters share, empty; skips without PostgreSQL or Redis."""
    if connection.vendor != "postgresql":
        pytest.skip("Scale-out runs on PostgreSQL only: set DATABASE_URL=postgres://...")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=10)
    try:
        client.ping()
    except redis.RedisError as error:
        reason = f"Redis does not answer at {REDIS_URL} (SP404_TEST_REDIS_URL): {error}"
        if os.environ.get("CI"):
            pytest.fail(reason)  # CI starts Redis (.ci/run): there, this test must run.
        pytest.skip(reason)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def database_url() -> str:
    """The test database (pytest-django's test_ copy) spelled as DATABASE_URL."""
    database = connection.settings_dict
    user = quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        user += ":" + quote(database["PASSWORD"], safe="")
    host = database["HOST"] + (f":{database['PORT']}" if database["PORT"] else "")
    return f"postgres://{user}@{host}/{quote(database['NAME'], safe='')}"


@pytest.fixture
def site_env(subprocess_env, data_dir, tmp_path):
    """Environment of the import and the clusters: one database, one queue, one data directory."""
    env = {
        **subprocess_env,
        "DJANGO_SETTINGS_MODULE": "tests.core.scale_out_settings",
        "DATABASE_URL": database_url(),
        "SP404_REDIS_URL": REDIS_URL,
        "SP404_DATA_DIR": str(data_dir),
        "SP404_SECRET_KEY": secrets.token_urlsafe(32),  # Queued tasks are signed with it.
        "SP404_TASKS_SYNC": "0",
        LOG_VARIABLE: str(tmp_path / "probe.jsonl"),
    }
    for name in ("SP404_LLM_API_KEY", "SP404_LLM_BASE_URL"):  # No vibe requests to anywhere.
        env.pop(name, None)
    return env


def write_pack(folder: Path) -> None:
    """Distinct one-shots (their own noise and level), every FLAC_EVERY-th a FLAC."""
    for index in range(FILES):
        maker = MAKERS[index % len(MAKERS)]
        suffix = ".flac" if index % FLAC_EVERY == 0 else ".wav"
        sound = maker(seed=index) * (0.4 + 0.5 * index / FILES)
        write_audio(folder / f"{maker.__name__} {index:02d}{suffix}", sound)


class Clusters:
    """Two `manage.py qcluster` processes, each leading its own process group."""

    def __init__(self, env, folder: Path):
        self.env = env
        self.logs = [folder / "cluster-a.log", folder / "cluster-b.log"]
        self.processes: list[subprocess.Popen] = []
        self.started = time.monotonic()
        self.timeline: dict[str, float] = {}

    def start(self) -> None:
        for log in self.logs:
            with log.open("wb") as output:
                self.processes.append(
                    subprocess.Popen(
                        [sys.executable, "manage.py", "qcluster"],
                        cwd=ROOT,
                        env=self.env,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,  # The probe's "group" names the cluster.
                    )
                )

    @property
    def groups(self) -> set[int]:
        return {process.pid for process in self.processes}

    def wait_until(self, condition, what: str) -> None:
        """Wait for `condition`, failing with the clusters' logs if one stops or time runs out."""
        while not condition():
            stopped = [process.pid for process in self.processes if process.poll() is not None]
            if stopped or time.monotonic() > self.started + DEADLINE:
                problem = f"clusters {stopped} stopped" if stopped else "timed out"
                logs = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in self.logs)
                raise AssertionError(f"{problem} waiting for {what}\n{logs}")
            time.sleep(0.2)
        self.mark(what)

    def mark(self, stage: str) -> None:
        self.timeline[stage] = time.monotonic() - self.started

    def time_left(self) -> float:
        return max(self.started + DEADLINE - time.monotonic(), 1.0)

    def stop(self) -> None:
        stop_groups(self.processes, STOP_GRACE)
        self.mark("stopped")


class Notes:
    """The probe's log as it stands: its complete lines (one may be half-written)."""

    def __init__(self, env):
        path = Path(env[LOG_VARIABLE])
        lines = path.read_text().split("\n")[:-1] if path.exists() else []
        self.all = [json.loads(line) for line in lines]

    def of(self, event: str) -> list[dict]:
        return [note for note in self.all if note["event"] == event]

    def count(self, event: str, key: str = "task") -> Counter:
        return Counter(note[key] for note in self.of(event))


def import_pack(env, pack: Path, timeout: float) -> None:
    imported = subprocess.run(
        [sys.executable, "manage.py", "import_samples", str(pack), "--user", "scale"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert f"{FILES} imported" in imported.stdout


def test_two_clusters_share_an_import_and_run_each_task_exactly_once(
    queue_redis, site_env, tmp_path
):
    owner = get_user_model().objects.create_user("scale")
    write_pack(tmp_path / "Scale Pack")
    # Compiled once here into the numba cache the workers share (they inherit
    # NUMBA_CACHE_DIR), rather than by every worker of both clusters at once.
    call_command("warm_analysis", stdout=io.StringIO())
    queue = f"django_q:{settings.Q_CLUSTER['name']}:q"  # django-q2's list in Redis
    clusters = Clusters(site_env, tmp_path)

    def workers_ready():
        spawned = Notes(site_env).count("spawned", key="group")
        return all(spawned[group] >= settings.TASK_WORKERS for group in clusters.groups)

    def settled():
        runs = Counter(note["event"] for note in Notes(site_env).all)
        return runs["started"] == runs["finished"] >= runs["queued"] and not queue_redis.llen(queue)

    try:
        clusters.start()
        clusters.wait_until(workers_ready, "both clusters' workers")
        import_pack(site_env, tmp_path / "Scale Pack", clusters.time_left())
        clusters.mark("imported")
        clusters.wait_until(settled, "the queued tasks")
        # A second delivery of a task would start now, on an idle worker: it is counted below.
        time.sleep(QUIET)
    finally:
        clusters.stop()

    notes = Notes(site_env)
    # Every task queued ran exactly once, to its end, and nothing else ran.
    assert notes.count("started") == notes.count("queued")
    assert notes.count("finished") == notes.count("queued")
    assert all(note["success"] for note in notes.of("finished"))
    assert not Failure.objects.exists()
    assert queue_redis.llen(queue) == 0
    assert_each_sample_analysed_once(notes, Sample.objects.filter(owner=owner))
    # Both clusters took work off the shared queue, and no other process ran any.
    ran_in = notes.count("started", key="group")
    assert set(ran_in) == clusters.groups, ran_in
    timeline = ", ".join(f"{stage} {at:.1f} s" for stage, at in clusters.timeline.items())
    print(f"tasks run per cluster: {dict(ran_in)}; samples analysed per cluster: "
          f"{dict(notes.count('analysed', key='group'))}; {timeline}")  # fmt: skip


def assert_each_sample_analysed_once(notes: Notes, samples) -> None:
    """Each sample was handed to analysis by one task only, analysed once, and is ready."""
    once = dict.fromkeys(samples.values_list("pk", flat=True), 1)
    assert len(once) == FILES
    started = notes.of("started")
    handed = Counter(pk for note in started if note["func"] == ANALYSE for pk in note["args"][0])
    assert handed == once
    assert notes.count("analysed", key="sample") == once
    assert set(samples.values_list("status", flat=True)) == {Sample.Status.READY}
    assert AudioFeatures.objects.filter(sample__in=samples).count() == FILES
    flac = dict.fromkeys(samples.filter(format="flac").values_list("pk", flat=True), 1)
    assert Counter(note["args"][0] for note in started if note["func"] == PREVIEW) == flac
    assert not samples.filter(format="flac", preview="").exists()

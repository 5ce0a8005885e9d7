"""A worker killed mid-analysis leaves nothing half-written, and a restarted cluster finishes."""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import audiogen
from tests.files import write_audio

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def query(database: Path, sql: str):
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as connection:
        return connection.execute(sql).fetchone()


def wait_until(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def start_cluster(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_cluster(cluster: subprocess.Popen) -> None:
    """Kill the cluster and all its processes at once, as a power cut would."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(cluster.pid, signal.SIGKILL)
    cluster.wait(timeout=30)


def test_killed_worker_leaves_no_half_analysis_and_restart_finishes_once(subprocess_env, tmp_path):
    env = {
        **subprocess_env,
        "SP404_WORKERS": "1",
        "SP404_TASK_TIMEOUT": "20",
        "SP404_TASK_RETRY_MARGIN": "1",
        "SP404_QUEUE_POLL": "0.1",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*manage, "shell", "-c",
         "from django.contrib.auth.models import User; User.objects.create_user('dj', password='x')"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    # A long loop keeps the worker busy long enough to be killed mid-analysis.
    long_loop = write_audio(
        tmp_path / "long loop.wav", audiogen.stereo(audiogen.drum_loop(120, 128)), audiogen.SR
    )
    subprocess.run(
        [*manage, "import_samples", str(long_loop), "--user", "dj"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    database = Path(env["SP404_DATA_DIR"]) / "sp404site.sqlite3"
    status = "SELECT status FROM library_sample"
    assert query(database, status) == ("pending",)

    cluster = start_cluster(env)
    try:
        wait_until(lambda: query(database, status) == ("analyzing",), 60, "analysis to start")
        kill_cluster(cluster)
    finally:
        if cluster.poll() is None:
            kill_cluster(cluster)
    assert query(database, status) == ("analyzing",)
    assert query(database, "SELECT COUNT(*) FROM library_audiofeatures") == (0,)

    cluster = start_cluster(env)
    try:
        wait_until(lambda: query(database, status) == ("ready",), 120, "the restarted cluster")
    finally:
        kill_cluster(cluster)
    assert query(database, "SELECT COUNT(*) FROM library_sample WHERE status = 'ready'") == (1,)
    assert query(database, "SELECT COUNT(*) FROM library_audiofeatures") == (1,)

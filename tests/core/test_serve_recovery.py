"""`manage.py serve` keeps the app available: whatever process dies or hangs comes back.

One worker, so the idle worker is the one reading the task queue, holding its
read lock: killed there, it leaves every later worker of that cluster blocked
for good, and only a restart of the whole cluster brings the queue back.
"""

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from core.supervisor import group_alive
from tests.core.test_serve import ROOT, free_port

pytestmark = pytest.mark.slow

RECOVERY_SECONDS = 60
# Short enough for a test: a heartbeat every second, a restart after 6 quiet seconds.
SERVE_OPTIONS = [
    *("--web-workers", "1", "--heartbeat-interval", "1", "--stuck-after", "6"),
    *("--restart-backoff", "0.2", "--restart-backoff-max", "2", "--stop-grace", "10"),
]
ENQUEUE = "from django_q.tasks import async_task; async_task('tests.core.worker_tasks.note_pid', {path!r}, {seconds!r})"


class App:
    """A running `serve` and the ways a test reaches its processes and its queue."""

    def __init__(self, env, tmp_path):
        self.env = env
        self.port = free_port()
        self.notes = (tmp_path / f"note-{number}" for number in itertools.count())
        self.log = tmp_path / "serve.log"
        with self.log.open("w") as log:
            self.server = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--port", str(self.port), *SERVE_OPTIONS],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def answers(self) -> bool:
        try:
            response = httpx.get(f"http://127.0.0.1:{self.port}/", timeout=2)
        except httpx.TransportError:
            return False
        return response.status_code == 302  # to first-run setup, as on a fresh install

    def queue(self, seconds: float = 0) -> Path:
        """Queue a task that writes its worker's pid to the returned path."""
        note = next(self.notes)
        code = ENQUEUE.format(path=str(note), seconds=seconds)
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )
        return note

    def serves(self, note: Path, deadline: float) -> bool:
        """Whether, by the deadline, the app answers HTTP and the task queued as `note` has run."""
        return wait_until(lambda: self.answers() and ran(note) is not None, deadline)

    def child(self, word: str) -> int | None:
        """The pid of serve's own child whose command line has `word`."""
        found = subprocess.run(
            ["pgrep", "-P", str(self.server.pid), "-f", word],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        return int(found[0]) if found else None

    def replaced(self, word: str, killed: int, deadline: float) -> bool:
        """Whether, by the deadline, serve has started a new child in place of the killed one."""
        return wait_until(lambda: self.child(word) not in (None, killed), deadline)

    def processes(self) -> list[int]:
        """Every running process with this app's data directory, wherever in the tree it is."""
        mark = f"SP404_DATA_DIR={self.env['SP404_DATA_DIR']}".encode()
        found = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                environment = (proc / "environ").read_bytes().split(b"\0")
                state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if mark in environment and state != "Z":  # a zombie has already stopped
                found.append(int(proc.name))
        return found


def wait_until(condition, deadline: float) -> bool:
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def ran(note: Path) -> int | None:
    """The pid that ran the task, once it has."""
    text = note.read_text() if note.exists() else ""
    return int(text) if text else None


def kill_idle_worker(app) -> None:
    note = app.queue()
    assert wait_until(lambda: ran(note), time.monotonic() + 30)
    worker = ran(note)
    wait_until(lambda: reading_the_queue(worker), time.monotonic() + 5)
    os.kill(worker, signal.SIGKILL)


def reading_the_queue(pid: int) -> bool:
    """Whether the worker is back at the queue, blocked reading it with the read lock held."""
    try:
        return "pipe_read" in Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False


def kill_busy_worker(app) -> None:
    note = app.queue(seconds=4)  # shorter than the task timeout the test sets
    assert wait_until(lambda: ran(note), time.monotonic() + 30)
    os.kill(ran(note), signal.SIGKILL)


def kill_cluster_master(app) -> tuple[str, int]:
    master = app.child("qcluster")
    os.kill(master, signal.SIGKILL)
    return "qcluster", master


def kill_web_master(app) -> tuple[str, int]:
    master = app.child("gunicorn")
    os.kill(master, signal.SIGKILL)
    return "gunicorn", master


def test_serve_brings_the_app_back_after_any_process_is_killed_and_stops_all_on_ctrl_c(
    subprocess_env, tmp_path
):
    env = {
        **subprocess_env,
        "SP404_WORKERS": "1",
        "SP404_TASK_TIMEOUT": "5",
        # A task a dead worker took is handed out again after timeout + margin.
        "SP404_TASK_RETRY_MARGIN": "1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    app = App(env, tmp_path)
    try:
        note = app.queue()
        assert app.serves(note, time.monotonic() + 60)
        for kill in (kill_idle_worker, kill_busy_worker, kill_cluster_master, kill_web_master):
            killed_master = kill(app)
            deadline = time.monotonic() + RECOVERY_SECONDS
            if killed_master:
                word, pid = killed_master
                assert app.replaced(word, pid, deadline), f"not restarted after {kill.__name__}"
                # Started again only once all it left was stopped: none holds the database.
                assert not group_alive(pid), f"leftovers after {kill.__name__}"
            note = app.queue()
            assert app.serves(note, deadline), (
                f"no answer or no task run {RECOVERY_SECONDS} s after {kill.__name__}"
            )
        assert app.processes()
    finally:
        app.server.send_signal(signal.SIGINT)
        app.server.wait(timeout=60)
    output = app.log.read_text()
    assert app.server.returncode == 0, output
    assert app.processes() == [], output

"""Run programs in their own process groups, restart them with backoff, stop every descendant."""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

# A child that stayed up this long is healthy again: its next restart waits the shortest delay.
HEALTHY_AFTER = 60.0
# SIGKILL cannot be refused, but the kernel takes a moment to end a process.
KILL_WAIT = 5.0


class Child:
    """One supervised program, leading its own process group so it can be stopped whole."""

    def __init__(
        self, name, command, *, cwd, env=None, backoff=1.0, backoff_max=60.0, pass_fds=(), nice=0
    ):
        self.name = name
        self.nice = nice
        self.pass_fds = tuple(pass_fds)
        self.command = command
        self.cwd = cwd
        self.env = env
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.process = None
        self.started_at = 0.0
        self.restart_at = None
        self.failures = 0

    def start(self) -> None:
        # A new session makes the child lead its own process group, so stopping the
        # group reaches every process it forks (a django-q2 cluster's workers outlive
        # their master), and keeps the terminal's Ctrl-C for serve, which stops the
        # children itself.
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            start_new_session=True,
            pass_fds=self.pass_fds,
            # Lower priority, inherited by every process the child forks.
            preexec_fn=(lambda: os.nice(self.nice)) if self.nice else None,
        )
        self.started_at = time.monotonic()
        self.restart_at = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def next_delay(self, now: float) -> float:
        """How long to wait before the next start: doubling with each failure in a row."""
        if now - self.started_at >= HEALTHY_AFTER:
            self.failures = 0
        delay = min(self.backoff_max, self.backoff * 2**self.failures)
        self.failures += 1
        return delay


def group_alive(process_group: int) -> bool:
    """Whether any process of the group still runs (a zombie has already stopped)."""
    try:
        os.killpg(process_group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            # After the command name's closing parenthesis: state, ppid, process group.
            state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError, ValueError):
            continue
        if int(group) == process_group and state != "Z":
            return True
    return False


def signal_group(process_group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process_group, signum)


def wait_for_groups(processes, seconds: float) -> bool:
    """Wait until no process of these groups runs; False if some still do after `seconds`.

    A group whose leader has ended is sent SIGTERM: what it forked outlived it.
    """
    deadline = time.monotonic() + seconds
    orphaned = set()
    while True:
        running = [process for process in processes if group_alive(process.pid)]
        if not running:
            for process in processes:
                process.wait()  # Reap the leader, at most a zombie by now.
            return True
        for process in running:
            if process.poll() is not None and process.pid not in orphaned:
                orphaned.add(process.pid)
                signal_group(process.pid, signal.SIGTERM)
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def stop_groups(processes, grace: float) -> None:
    """Stop each leader and its whole process group: SIGTERM, then SIGKILL after `grace`.

    SIGTERM goes to the leader alone while it lives, so it shuts down in its own
    order: gunicorn finishes its requests, and a django-q2 cluster stops its
    sentinel and workers. Sent to the whole group at once, it can hang that
    cluster: a sentinel killed inside a wait on the stop event leaves the master
    blocked in setting it.
    """
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    if not wait_for_groups(processes, grace):
        kill_groups(processes)


def kill_groups(processes) -> None:
    """SIGKILL every process of each leader's group, and wait for them to end."""
    processes = list(processes)
    for process in processes:
        signal_group(process.pid, signal.SIGKILL)
    wait_for_groups(processes, KILL_WAIT)

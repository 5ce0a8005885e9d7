"""How `serve` tells a stuck worker cluster from a busy or an idle one.

Why a heartbeat task rather than django-q2's own records: the cluster's status
(``Stat``) is saved by the sentinel's guard loop, which goes on running when
every worker is blocked (a worker killed while it held the task queue's read
lock leaves the others waiting on that lock for ever), and with the ORM broker
it lives in a per-process cache `serve` cannot read. A process being alive says
nothing either. Work passing the whole way through (broker, pusher, worker,
monitor) is what shows progress, so `serve` queues a tiny task and waits for its
result row, which is saved although other successes are not.

A heartbeat may also wait for good reasons: behind a backlog, or while every
worker is busy with a long analysis. So the workers note when they start and
finish each task (django-q2's worker signals, into a directory `serve` hands
them). The cluster counts as stuck only when a heartbeat has waited longer than
the allowance, no task started or finished for as long, and no worker is inside
a task begun less than the task timeout plus the allowance ago (django-q2 stops
a task at its timeout).
"""

import logging
import os
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django import db
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import Task
from django_q.tasks import async_task

logger = logging.getLogger(__name__)

# Set by `serve` for the cluster it starts; a cluster started any other way keeps no notes.
STATE_DIR_VARIABLE = "SP404_WORKER_STATE_DIR"
HEARTBEAT_TASK = "core.tasks.heartbeat"
# Results of heartbeats nobody collected (their cluster was restarted before it
# got to them) are removed once they are this old.
ORPHAN_AGE = timedelta(hours=1)


class QuietHeartbeats(logging.Filter):
    """Leaves the routine heartbeat out of django-q2's log: two lines per beat would say nothing."""

    def filter(self, record):
        return record.levelno >= logging.WARNING or HEARTBEAT_TASK not in record.getMessage()


def record_task_started(sender, **kwargs):
    """Note that this worker began a task (django-q2's pre_execute signal)."""
    _write_state("busy")


def record_task_finished(sender, **kwargs):
    """Note that this worker finished a task (django-q2's post_execute_in_worker signal)."""
    _write_state("idle")


def _write_state(state: str) -> None:
    directory = os.environ.get(STATE_DIR_VARIABLE)
    if not directory:
        return
    path = Path(directory) / str(os.getpid())
    partial = path.with_suffix(".part")
    try:
        # time.monotonic() is the machine's clock since boot, the same in every
        # process, and it does not jump when the wall clock is set.
        partial.write_text(f"{state} {time.monotonic()}")
        os.replace(partial, path)
    except OSError as error:
        # A note that cannot be written must never fail the task itself.
        logger.warning("Could not note the worker's state in %s: %s", directory, error)


@dataclass(frozen=True)
class WorkerState:
    """What one worker process last did, and when (time.monotonic())."""

    pid: int
    busy: bool
    since: float


def worker_states(directory: Path, process_group: int) -> list[WorkerState]:
    """The notes of the live workers in this process group (not an earlier cluster's)."""
    states = []
    for path in directory.iterdir():
        if not path.name.isdigit():
            continue
        try:
            if os.getpgid(int(path.name)) != process_group:
                continue
            state, since = path.read_text().split()
            states.append(WorkerState(int(path.name), state == "busy", float(since)))
        except (OSError, ValueError):
            continue  # The worker has gone, or its note is being replaced.
    return states


class QueueHeartbeat:
    """Queues heartbeat tasks and says when the worker cluster has stopped taking work."""

    def __init__(
        self, state_dir: Path, *, interval: float, stuck_after: float, task_timeout: float
    ):
        self.state_dir = state_dir
        self.interval = interval
        self.stuck_after = stuck_after
        self.task_timeout = task_timeout
        self.broker = get_broker()
        self.pending_id = None
        self.pending_since = 0.0
        self.last_answer = float("-inf")
        self.next_check = 0.0
        self.failing = False

    def restarted(self) -> None:
        """Forget the old cluster: its pusher may hold the last heartbeat until the queue's retry."""
        self.pending_id = None
        self.last_answer = float("-inf")
        for path in self.state_dir.glob("*"):
            path.unlink(missing_ok=True)

    def stuck_for(self, process_group: int, started_at: float, now: float) -> float | None:
        """Seconds the cluster of this process group has taken no work for, once that is too long."""
        if now < self.next_check:
            return None
        self.next_check = now + min(1.0, self.interval)
        # A cleaner of old files in /tmp may have taken the directory: the workers need it.
        self.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            answered = self._beat(now)
        except Exception as error:  # The supervisor outlives a database or Redis outage.
            if not self.failing:
                logger.warning("Cannot check the worker's heartbeat: %s", error)
            self.failing = True
            db.connection.close()
            return None
        self.failing = False
        if answered:
            return None
        return self._quiet_for(process_group, started_at, now)

    def _beat(self, now: float) -> bool:
        """Queue a heartbeat when one is due; True unless one is still waiting for its result."""
        if self.pending_id is None:
            if now - self.last_answer >= self.interval:
                self.pending_id = async_task(
                    HEARTBEAT_TASK, save=True, sync=False, broker=self.broker
                )
                self.pending_since = now
            return True
        # Look before deleting: a delete takes SQLite's write lock even when nothing matches.
        if not Task.objects.filter(id=self.pending_id).exists():
            return False
        Task.objects.filter(id=self.pending_id).delete()
        Task.objects.filter(func=HEARTBEAT_TASK, stopped__lt=timezone.now() - ORPHAN_AGE).delete()
        self.pending_id = None
        self.last_answer = now
        return True

    def _quiet_for(self, process_group: int, started_at: float, now: float) -> float | None:
        states = worker_states(self.state_dir, process_group)
        if any(s.busy and now - s.since < self.task_timeout + self.stuck_after for s in states):
            return None
        quiet = now - max([self.pending_since, started_at, *(s.since for s in states)])
        return quiet if quiet > self.stuck_after else None

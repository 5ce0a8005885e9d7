"""The heartbeat tells a stuck worker cluster from an idle, a busy or a backlogged one."""

import os
import time

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Task

from core.heartbeat import (
    HEARTBEAT_TASK,
    STATE_DIR_VARIABLE,
    QueueHeartbeat,
    record_task_finished,
    record_task_started,
)

# The notes this test process writes count as those of a worker of its own group.
GROUP = os.getpgid(0)
STUCK_AFTER = 10
TASK_TIMEOUT = 100


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    directory = tmp_path / "workers"
    directory.mkdir()
    monkeypatch.setenv(STATE_DIR_VARIABLE, str(directory))
    return directory


@pytest.fixture
def heartbeat(db, state_dir):
    return QueueHeartbeat(state_dir, interval=1, stuck_after=STUCK_AFTER, task_timeout=TASK_TIMEOUT)


def answer(heartbeat):
    """Save the result row the cluster's monitor saves for a heartbeat it ran."""
    now = timezone.now()
    Task.objects.create(
        id=heartbeat.pending_id,
        name="heartbeat",
        func=HEARTBEAT_TASK,
        args=(),
        kwargs={},
        started=now,
        stopped=now,
        success=True,
    )


def test_a_heartbeat_nobody_runs_marks_an_idle_cluster_stuck_after_the_allowance(heartbeat):
    start = time.monotonic()

    assert heartbeat.stuck_for(GROUP, start, start) is None
    assert OrmQ.objects.count() == 1
    assert heartbeat.stuck_for(GROUP, start, start + STUCK_AFTER - 1) is None
    assert heartbeat.stuck_for(GROUP, start, start + STUCK_AFTER + 2) == pytest.approx(
        STUCK_AFTER + 2
    )


def test_an_answered_heartbeat_is_collected_and_the_next_one_queued(heartbeat):
    start = time.monotonic()
    heartbeat.stuck_for(GROUP, start, start)
    first = heartbeat.pending_id
    answer(heartbeat)

    assert heartbeat.stuck_for(GROUP, start, start + STUCK_AFTER + 2) is None
    assert not Task.objects.filter(func=HEARTBEAT_TASK).exists()
    heartbeat.stuck_for(GROUP, start, start + STUCK_AFTER + 4)
    assert heartbeat.pending_id not in (None, first)
    assert OrmQ.objects.count() == 2


def test_a_worker_inside_a_task_keeps_the_cluster_from_counting_as_stuck_until_its_timeout(
    heartbeat,
):
    start = time.monotonic()
    heartbeat.stuck_for(GROUP, start, start)
    record_task_started(sender="django_q")

    assert heartbeat.stuck_for(GROUP, start, start + TASK_TIMEOUT) is None
    assert heartbeat.stuck_for(GROUP, start, start + TASK_TIMEOUT + STUCK_AFTER + 1)


def test_tasks_finishing_ahead_of_a_queued_heartbeat_count_as_progress(heartbeat):
    earlier = time.monotonic() - 2 * STUCK_AFTER
    heartbeat.stuck_for(GROUP, earlier, earlier)
    record_task_finished(sender="django_q")
    now = time.monotonic()

    assert heartbeat.stuck_for(GROUP, earlier, now + STUCK_AFTER - 1) is None
    assert heartbeat.stuck_for(GROUP, earlier, now + STUCK_AFTER + 1)


def test_notes_of_processes_outside_the_cluster_are_ignored(heartbeat, state_dir):
    start = time.monotonic()
    heartbeat.stuck_for(GROUP, start, start)
    (state_dir / "1").write_text(f"busy {start}")  # init, in a group of its own

    assert heartbeat.stuck_for(GROUP, start, start + STUCK_AFTER + 1)


def test_a_restart_forgets_the_old_clusters_heartbeat_and_notes(heartbeat, state_dir):
    start = time.monotonic()
    heartbeat.stuck_for(GROUP, start, start)
    record_task_started(sender="django_q")
    heartbeat.restarted()

    assert list(state_dir.iterdir()) == []
    assert heartbeat.stuck_for(GROUP, start, start + 1) is None
    assert OrmQ.objects.count() == 2


def test_workers_not_started_by_serve_keep_no_notes(state_dir, monkeypatch):
    monkeypatch.delenv(STATE_DIR_VARIABLE)
    record_task_started(sender="django_q")

    assert list(state_dir.iterdir()) == []

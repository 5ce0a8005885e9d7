"""Supervised children lead their own process groups, back off, and are stopped whole."""

import os
import signal
import subprocess
import time

from core.supervisor import Child, group_alive, stop_groups


def started(command: str) -> Child:
    """A shell child, once every process it starts is running."""
    child = Child("test", ["sh", "-c", command], cwd="/")
    child.start()
    deadline = time.monotonic() + 10
    while len(members(child.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    return child


def members(process_group: int) -> list[str]:
    return subprocess.run(
        ["pgrep", "-g", str(process_group)], capture_output=True, text=True, check=False
    ).stdout.split()


def test_restart_delay_doubles_up_to_the_cap_and_starts_over_after_a_healthy_run():
    child = Child("test", ["true"], cwd="/", backoff=1, backoff_max=5)

    assert [child.next_delay(10) for _ in range(5)] == [1, 2, 4, 5, 5]
    assert child.next_delay(600) == 1


def test_what_a_dead_leader_left_running_is_stopped_with_its_group():
    child = started("sleep 60 & sleep 60 & wait")
    child.process.send_signal(signal.SIGKILL)
    child.process.wait()
    assert group_alive(child.pid), "the leader's children outlive it"

    stop_groups([child.process], grace=5)

    assert not group_alive(child.pid)


def test_a_group_that_ignores_sigterm_is_killed_after_the_grace():
    # An ignored signal stays ignored in the processes the shell starts.
    child = started("trap '' TERM; sleep 60 & sleep 60 & wait")

    stop_groups([child.process], grace=0.5)

    assert not group_alive(child.pid)
    assert child.process.returncode == -signal.SIGKILL


def test_a_nice_child_and_everything_it_forks_run_at_lower_priority():
    child = Child("test", ["sh", "-c", "sleep 60 & sleep 60 & wait"], cwd="/", nice=7)
    child.start()
    try:
        deadline = time.monotonic() + 10
        while len(members(child.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        niceness = {os.getpriority(os.PRIO_PROCESS, int(pid)) for pid in members(child.pid)}
        assert niceness == {min(mine + 7, 19)}
    finally:
        stop_groups([child.process], grace=5)

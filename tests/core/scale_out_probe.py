"""What every process of the scale-out test did, appended as JSON lines to one shared file.

Installed only by tests/core/scale_out_settings.py. The import and the workers
of both clusters each add a line per task queued, started and finished, and per
sample analysed, naming their pid and process group (each cluster leads its
own). The test counts these runs themselves: django-q2 keeps no row for a
successful task here (save_limit -1), and a second successful run of one task
id would not change its row if it did.
"""

import json
import os

from django.apps import AppConfig

LOG_VARIABLE = "SP404_TEST_PROBE_LOG"


def note(event: str, **details) -> None:
    """Append one line: one write to an O_APPEND file never interleaves with another process's."""
    line = {"event": event, "pid": os.getpid(), "group": os.getpgrp(), **details}
    fd = os.open(os.environ[LOG_VARIABLE], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(line, default=str) + "\n").encode())
    finally:
        os.close(fd)


def task_details(task: dict) -> dict:
    return {"task": task["id"], "func": str(task["func"]), "args": task["args"]}


def queued(sender, task, **kwargs):
    note("queued", **task_details(task))


def started(sender, task, **kwargs):
    note("started", **task_details(task))


def finished(sender, task, **kwargs):
    note("finished", success=task["success"], **task_details(task))


def spawned(sender, proc_name, **kwargs):
    note("spawned", worker=proc_name)


def analysed(sender, sample, **kwargs):
    note("analysed", sample=sample.pk, status=sample.status)


class ProbeConfig(AppConfig):
    name = "tests.core.scale_out_probe"
    label = "scale_out_probe"

    def ready(self):
        from django_q import signals as queue_signals

        from library import signals as library_signals

        queue_signals.pre_enqueue.connect(queued, dispatch_uid="probe-queued")
        queue_signals.pre_execute.connect(started, dispatch_uid="probe-started")
        queue_signals.post_execute_in_worker.connect(finished, dispatch_uid="probe-finished")
        queue_signals.post_spawn.connect(spawned, dispatch_uid="probe-spawned")
        library_signals.analysed.connect(analysed, dispatch_uid="probe-analysed")

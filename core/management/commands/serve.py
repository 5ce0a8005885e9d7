"""Serve the app with gunicorn and run the django-q2 cluster beside it, restarting either."""

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django import db
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_q.conf import Conf

from core import setup_code
from core.datalock import DataDirectoryBusy
from core.heartbeat import STATE_DIR_VARIABLE, QueueHeartbeat
from core.restore import open_for_serving
from core.supervisor import Child, kill_groups, stop_groups

logger = logging.getLogger(__name__)
# How often the supervisor looks at its children.
TICK = 0.5


def lan_addresses() -> list[str]:
    """The machine's IPv4 addresses other than loopback, as far as it can tell."""
    addresses = set()
    try:
        output = subprocess.run(
            ["ip", "-o", "-4", "addr", "show", "scope", "global"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
        for line in output.splitlines():
            parts = line.split()
            if "inet" in parts:
                addresses.add(parts[parts.index("inet") + 1].split("/")[0])
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            addresses.add(info[4][0])
    except OSError:
        pass
    return sorted(address for address in addresses if not address.startswith("127."))


def gunicorn_command(bind: str, port: int, web_workers: int) -> list[str]:
    """The web server's command line."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "sp404site.wsgi:application",
        "--bind",
        f"{bind}:{port}",
        "--workers",
        str(web_workers),
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        # Large uploads over a slow LAN need time.
        "--timeout",
        "300",
        "--access-logfile",
        "-",
    ]


class Command(BaseCommand):
    help = (
        "Serve the app on the LAN with gunicorn and run the background worker, restarting "
        "either when it dies or the worker stops taking work; Ctrl-C stops both."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("SP404_PORT", 8000)))
        parser.add_argument("--bind", default=os.environ.get("SP404_BIND", "0.0.0.0"))
        parser.add_argument(
            "--web-workers", type=int, default=int(os.environ.get("SP404_WEB_WORKERS", 2))
        )
        seconds = {
            "--heartbeat-interval": ("SERVE_HEARTBEAT_INTERVAL", "between heartbeat tasks"),
            "--stuck-after": (
                "SERVE_WORKER_STUCK_AFTER",
                "a heartbeat may wait, with no task running, before the worker is restarted",
            ),
            "--restart-backoff": ("SERVE_RESTART_BACKOFF", "before the first restart"),
            "--restart-backoff-max": ("SERVE_RESTART_BACKOFF_MAX", "at most between restarts"),
            "--stop-grace": ("SERVE_STOP_GRACE", "a process may take to stop before SIGKILL"),
        }
        for option, (setting, meaning) in seconds.items():
            parser.add_argument(
                option, type=float, default=getattr(settings, setting), help=f"Seconds {meaning}."
            )

    def handle(self, *args, port, bind, web_workers, **options):
        try:
            data_lock = open_for_serving()
        except DataDirectoryBusy:
            raise CommandError(
                f"A restore is running on {settings.DATA_DIR}; start the app when it has finished."
            ) from None
        # Every child inherits the lock, so `restore` refuses until the last process
        # serving this data directory has ended, even if this supervisor was killed.
        backoff = {
            "backoff": options["restart_backoff"],
            "backoff_max": options["restart_backoff_max"],
            "pass_fds": [data_lock],
        }
        # Where the workers note their tasks' starts and ends for the heartbeat.
        state_dir = Path(tempfile.mkdtemp(prefix="sp404-workers-"))
        web = Child(
            "web", gunicorn_command(bind, port, web_workers), cwd=settings.BASE_DIR, **backoff
        )
        worker = Child(
            "worker",
            [sys.executable, "manage.py", "qcluster"],
            cwd=settings.BASE_DIR,
            env={**os.environ, STATE_DIR_VARIABLE: str(state_dir)},
            # Analysis yields the CPU to the web server's requests.
            nice=settings.SERVE_WORKER_NICE,
            **backoff,
        )
        heartbeat = QueueHeartbeat(
            state_dir,
            interval=options["heartbeat_interval"],
            stuck_after=options["stuck_after"],
            # Without a timeout a task may run for ever, and a busy worker is never stuck.
            task_timeout=Conf.TIMEOUT or float("inf"),
        )
        # The only thing this process queues is the heartbeat: no need to log each one.
        logging.getLogger("django-q").setLevel(logging.WARNING)
        try:
            self.supervise(web, worker, heartbeat, port, options["stop_grace"])
        finally:
            db.connections.close_all()
            shutil.rmtree(state_dir, ignore_errors=True)
            os.close(data_lock)

    def supervise(self, web, worker, heartbeat, port, grace):
        """Start both children, keep them running until Ctrl-C or SIGTERM, then stop every process."""
        stopping = False

        def stop(_signum=None, _frame=None):
            nonlocal stopping
            stopping = True

        # SIGHUP too: closing the terminal must not orphan the children.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, stop)
        web.start()
        worker.start()
        self.print_addresses(port)
        while not stopping:
            self.look_after(web, grace)
            self.look_after(worker, grace, heartbeat)
            time.sleep(TICK)
        stop_groups([web.process, worker.process], grace)

    def look_after(self, child, grace, heartbeat=None):
        """Start a child that is due, or restart one that died or, for the worker, is stuck."""
        now = time.monotonic()
        if child.restart_at is not None:
            if now >= child.restart_at:
                child.start()
                logger.warning("Started the %s process again (pid %s).", child.name, child.pid)
                if heartbeat:
                    heartbeat.restarted()
            return
        exit_code = child.process.poll()
        if exit_code is not None:
            self.restart(child, f"The {child.name} process stopped (exit {exit_code})", grace)
            return
        stuck = heartbeat and heartbeat.stuck_for(child.pid, child.started_at, now)
        if stuck:
            # No task is running to be finished, and an orderly stop waits for
            # workers that cannot read their stop message: kill it outright.
            reason = f"The {child.name} process has taken no task for {stuck:.0f} s"
            self.restart(child, reason, grace=0)

    @staticmethod
    def restart(child, reason, grace):
        """Stop everything the child left running, then start it again after its backoff."""
        delay = child.next_delay(time.monotonic())
        logger.error("%s; restarting it in %.1f s.", reason, delay)
        # Even a dead master leaves its group behind: a cluster's sentinel and workers.
        if grace:
            stop_groups([child.process], grace)
        else:
            kill_groups([child.process])
        child.restart_at = time.monotonic() + delay

    def print_addresses(self, port):
        self.stdout.write(self.style.SUCCESS("sp404site is running. Open:"))
        self.stdout.write(f"  http://localhost:{port}/")
        for address in lan_addresses():
            self.stdout.write(f"  http://{address}:{port}/   (from other devices on the network)")
        self.stdout.write("Press Ctrl-C to stop the server and the background worker.")
        if not get_user_model().objects.exists():
            self.stdout.write(
                self.style.WARNING(
                    f"First run: the setup page asks for this code: {setup_code.issue()}"
                )
            )

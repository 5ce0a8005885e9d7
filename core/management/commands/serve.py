"""Serve the app with gunicorn and run the django-q2 cluster beside it."""

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


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


class Command(BaseCommand):
    help = (
        "Serve the app on the LAN with gunicorn and run the background worker; Ctrl-C stops both."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("SP404_PORT", 8000)))
        parser.add_argument("--bind", default=os.environ.get("SP404_BIND", "0.0.0.0"))
        parser.add_argument(
            "--web-workers", type=int, default=int(os.environ.get("SP404_WEB_WORKERS", 2))
        )

    def handle(self, *args, port, bind, web_workers, **options):
        commands = {
            "web": [
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
            ],
            "worker": [sys.executable, "manage.py", "qcluster"],
        }
        processes = {
            name: subprocess.Popen(command, cwd=settings.BASE_DIR)
            for name, command in commands.items()
        }
        self.print_addresses(port)
        stopping = False

        def stop(_signum=None, _frame=None):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
        for name, process in processes.items():
            if process.poll() is not None and not stopping:
                self.stderr.write(f"The {name} process stopped (exit {process.returncode}).")
        self.shutdown(processes.values())

    def print_addresses(self, port):
        self.stdout.write(self.style.SUCCESS("sp404site is running. Open:"))
        self.stdout.write(f"  http://localhost:{port}/")
        for address in lan_addresses():
            self.stdout.write(f"  http://{address}:{port}/   (from other devices on the network)")
        self.stdout.write("Press Ctrl-C to stop the server and the background worker.")

    @staticmethod
    def shutdown(processes):
        """Ask both processes to stop, then insist after a grace period."""
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

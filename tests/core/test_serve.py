"""`manage.py serve` (what `make run` ends with) serves the LAN and stops cleanly."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from core.management.commands.serve import lan_addresses

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_lan_addresses_leave_out_loopback():
    assert all(not address.startswith("127.") for address in lan_addresses())


@pytest.mark.slow
def test_serve_answers_on_every_address_and_stops_both_processes_on_ctrl_c(subprocess_env):
    env = {**subprocess_env, "SP404_WORKERS": "1"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [*manage, "serve", "--port", str(port), "--web-workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        # A fresh install sends visitors to first-run setup, from any address.
        # 127.0.0.2 is another address of this machine: it answers only when
        # the server listens on all interfaces, as a LAN install must.
        for host in ("127.0.0.1", "127.0.0.2"):
            response = wait_for(f"http://{host}:{port}/")
            assert response.status_code == 302, host
            assert response.headers["location"] == "/accounts/setup/"
        setup_page = httpx.get(f"http://127.0.0.2:{port}/accounts/setup/")
        assert "Create the first account" in setup_page.text
        css = httpx.get(f"http://127.0.0.1:{port}{_stylesheet_path(setup_page.text)}")
        assert css.status_code == 200
        # The worker yields the CPU to the web server.
        assert _niceness_of_children(server.pid) == {"gunicorn": 0, "qcluster": 10}
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=40)
    assert server.returncode == 0, output
    assert f"http://localhost:{port}/" in output
    assert "Q Cluster" in output, "the background worker did not start"
    data_dir = Path(env["SP404_DATA_DIR"])
    code = (data_dir / "setup-code").read_text()
    assert f"the setup page asks for this code: {code}" in output
    assert (data_dir / "setup-code").stat().st_mode & 0o077 == 0, "only the server's user reads it"
    leftovers = subprocess.run(
        ["pgrep", "-f", f"--bind 0.0.0.0:{port}"], capture_output=True, text=True, check=False
    )
    assert leftovers.stdout.strip() == "", "gunicorn kept running after Ctrl-C"


def _stylesheet_path(html: str) -> str:
    start = html.index('href="/static/css/')
    return html[start + 6 : html.index('"', start + 6)]


def _niceness_of_children(pid: int) -> dict[str, int]:
    """Each child's niceness relative to its parent's, by the program it runs."""
    children = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    base = os.getpriority(os.PRIO_PROCESS, pid)
    found = {}
    for child in children:
        command = Path(f"/proc/{child}/cmdline").read_bytes().decode().replace("\0", " ")
        name = (
            "gunicorn"
            if "gunicorn" in command
            else "qcluster"
            if "qcluster" in command
            else command
        )
        found[name] = os.getpriority(os.PRIO_PROCESS, int(child)) - base
    return found

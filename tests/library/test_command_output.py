"""Terminal commands print their progress and summary, not the libraries' INFO logs."""

import functools
import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests import audiogen
from tests.files import write_audio

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture
def manage(subprocess_env):
    """Run manage.py in a child process with a migrated database and a user "dj"."""
    env = {**subprocess_env, "SP404_TASKS_SYNC": "0"}

    def run(*arguments, allow_private="lan"):
        return subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT, env={**env, "SP404_URL_ALLOW_PRIVATE": allow_private}, check=True,
            capture_output=True, text=True,
        )  # fmt: skip

    run("migrate", "-v0")
    run(
        "shell", "-c", "from django.contrib.auth.models import User; User.objects.create_user('dj')"
    )
    return run


def test_import_prints_no_queue_logs_unless_asked(manage, tmp_path):
    write_audio(tmp_path / "one" / "Kick.wav", audiogen.kick())
    write_audio(tmp_path / "two" / "Snare.wav", audiogen.snare())
    quiet = manage("import_samples", str(tmp_path / "one"), "--user", "dj")
    assert "Enqueued" not in quiet.stdout + quiet.stderr
    assert quiet.stderr == ""
    assert "1 imported, 0 duplicates" in quiet.stdout
    chatty = manage("import_samples", str(tmp_path / "two"), "--user", "dj", "-v", "2")
    assert "Enqueued" in chatty.stderr


def test_import_from_a_link_prints_no_http_logs(manage, tmp_path):
    write_audio(tmp_path / "Kick.wav", audiogen.kick())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/Kick.wav"
        result = manage("import_samples", "--url", url, "--user", "dj", allow_private="yes")
    finally:
        server.shutdown()
    assert "HTTP Request" not in result.stdout + result.stderr
    assert result.stderr == ""
    assert "1 imported" in result.stdout


def test_analyze_prints_its_summary_without_a_queue_line_per_sample(manage, tmp_path):
    write_audio(tmp_path / "Kick.wav", audiogen.kick())
    write_audio(tmp_path / "Snare.wav", audiogen.snare())
    manage("import_samples", str(tmp_path), "--user", "dj")
    result = manage("analyze", "--all")
    assert "Enqueued" not in result.stdout + result.stderr
    assert result.stdout.strip() == "Queued 2 samples for analysis."

"""A worker killed mid-export: the ZIP is never presented half-written, and a rerun completes it."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests import audiogen
from tests.files import write_audio

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

SETUP = """
from django.contrib.auth.models import User
from kits.models import Kit, KitPad
from library.models import Sample
from exports.models import Export
from exports.planning import entries_for_kit
owner = User.objects.get(username="dj")
kit = Kit.objects.create(owner=owner, name="Crash Kit")
for number, sample in enumerate(Sample.objects.order_by("name"), start=1):
    KitPad.objects.create(kit=kit, bank="A", pad_number=number, sample=sample)
Export.objects.start(owner, entries=entries_for_kit(kit, ""), queued=False, name="Crash Kit",
                     source="kit", kit=kit, organisation="kit", destination="zip")
"""
RUN = "from exports.tasks import run_export; run_export(1)"


def row(database: Path, sql: str):
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as connection:
        return connection.execute(sql).fetchone()


def test_killed_export_is_never_a_corrupt_zip_and_resumes(subprocess_env, tmp_path):
    env = subprocess_env
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*manage, "shell", "-c", "from django.contrib.auth.models import User; User.objects.create_user('dj')"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    # Long 96 kHz loops keep each conversion busy long enough to be interrupted.
    for number in range(8):
        loop = audiogen.stereo(audiogen.drum_loop(100 + number, 16, 96000), seed=number)
        write_audio(tmp_path / "src" / f"loop {number}.wav", loop, 96000)
    subprocess.run(
        [*manage, "import_samples", str(tmp_path / "src"), "--user", "dj"],
        cwd=ROOT, env={**env, "SP404_TASKS_SYNC": "0"}, check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run([*manage, "shell", "-c", SETUP], cwd=ROOT, env=env, check=True)
    database = Path(env["SP404_DATA_DIR"]) / "sp404site.sqlite3"

    worker = subprocess.Popen(
        [*manage, "shell", "-c", RUN], cwd=ROOT, env=env, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while row(database, "SELECT processed_files FROM exports_export")[0] < 2:
        assert time.monotonic() < deadline and worker.poll() is None, "the export did not start"
        time.sleep(0.05)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()

    status, output_path = row(database, "SELECT status, output_path FROM exports_export")
    assert status == "running"
    assert output_path == ""  # nothing is offered for download
    zips = Path(env["SP404_DATA_DIR"]) / "exports" / "zips"
    assert not zips.exists() or not list(zips.glob("*.zip"))

    subprocess.run([*manage, "shell", "-c", RUN], cwd=ROOT, env=env, check=True)
    status, output_path, files = row(
        database, "SELECT status, output_path, file_count FROM exports_export"
    )
    assert (status, files) == ("completed", 8)
    with zipfile.ZipFile(output_path) as archive:
        assert archive.testzip() is None
        assert len([name for name in archive.namelist() if name.endswith(".wav")]) == 8

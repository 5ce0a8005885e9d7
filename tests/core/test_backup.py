"""Backups taken while the app works restore byte for byte; damage is named; a failed restore changes nothing."""

import contextlib
import functools
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from importlib import import_module
from pathlib import Path

import pytest
from django.db import connection
from django_q.models import Schedule

from core import backup, datalock, restore
from core.models import BackupRecord
from core.tasks import daily_backup
from tests import audiogen
from tests.core.test_serve import free_port
from tests.files import write_audio
from tests.library.test_worker_crash import kill_cluster, query, start_cluster, wait_until

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run_manage(env: dict, data_dir: Path, *arguments, check=True):
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT, env={**env, "SP404_DATA_DIR": str(data_dir)},
        capture_output=True, text=True, check=check,
    )  # fmt: skip


@pytest.fixture
def manage(subprocess_env):
    """Run manage.py in a child process on the given data directory."""
    return functools.partial(run_manage, subprocess_env)


def import_loops(manage, data_dir: Path, folder: Path, tempos, bars=2) -> None:
    for bpm in tempos:
        write_audio(folder / f"loop {bpm}.wav", audiogen.stereo(audiogen.drum_loop(bpm, bars)))
    manage(data_dir, "import_samples", str(folder), "--user", "dj")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A data directory with a user and six imported loops whose analysis is still queued."""
    env = {**os.environ, "DATABASE_URL": ""}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage = functools.partial(run_manage, env)
    data_dir = tmp_path_factory.mktemp("installed") / "data"
    manage(data_dir, "migrate", "--noinput", "-v0")
    manage(data_dir, "shell", "-c", "from django.contrib.auth.models import User; User.objects.create_user('dj')")  # fmt: skip
    import_loops(manage, data_dir, data_dir.parent / "sources", (90, 100, 110, 120, 130, 140))
    return data_dir


@pytest.fixture
def live(installed, tmp_path) -> Path:
    """A copy of the installed data directory for one test to change."""
    return shutil.copytree(installed, tmp_path / "live")


def rows_of(database: Path, sql: str) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        return connection.execute(sql).fetchall()


def rows(database: Path, table: str) -> list[tuple]:
    return rows_of(database, f"SELECT * FROM {table} ORDER BY 1")


def tree(folder: Path) -> dict[str, str]:
    """Every file under a folder with its SHA-256, the lock file aside."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != datalock.LOCK_NAME
    }


def only_backup(backups: Path) -> Path:
    (folder,) = backup.published(backups)
    return folder


def test_a_backup_taken_during_analysis_restores_the_same_rows_and_audio_into_a_fresh_install(
    manage, live, tmp_path, subprocess_env
):
    database, backups = live / "sp404site.sqlite3", tmp_path / "backups"
    # Long loops keep the worker analysing while the backup runs (16 bars were
    # no longer enough once one-shots and loops analysed faster).
    long_tempos = range(91, 151, 5)
    import_loops(manage, live, tmp_path / "long", long_tempos, bars=32)
    cluster = start_cluster(
        {**subprocess_env, "SP404_DATA_DIR": str(live), "SP404_WORKERS": "1",
         "SP404_QUEUE_POLL": "0.1"}
    )  # fmt: skip
    imported = 6 + len(long_tempos)  # The installed six, and the long loops.
    try:
        started = "SELECT count(*) FROM library_sample WHERE status != 'pending'"
        wait_until(lambda: query(database, started)[0], 120, "the first analysis")
        # On a fast machine about half the tries catch the analysis running;
        # twenty missed in a row would mean the backup waits for it to finish.
        for _attempt in range(20):
            result = manage(live, "backup", "--to", str(backups))
            assert "verified." in result.stdout
            taken = backup.published(backups)[-1]
            copy = taken / backup.SQLITE_COPY
            statuses = {row[0] for row in rows_of(copy, "SELECT status FROM library_sample")}
            if statuses != {"ready"}:
                break
            # The analysis finished before the backup command had started (a
            # fast machine analyses the loops in the seconds Python takes to
            # start): every sample goes back to the queue, and the backup again.
            assert "Queued" in manage(live, "analyze", "--all").stdout
    finally:
        kill_cluster(cluster)
    assert statuses != {"ready"}, "the backup was meant to be taken while analysis was running"

    fresh = tmp_path / "fresh"
    manage(fresh, "restore", str(taken))
    restored = fresh / "sp404site.sqlite3"
    for table in ("library_sample", "library_audiofeatures", "auth_user"):
        assert rows(restored, table) == rows(copy, table), table
    samples = rows_of(restored, "SELECT file FROM library_sample")
    assert len(samples) == imported
    for (file,) in samples:
        assert (fresh / "media" / file).read_bytes() == (live / "media" / file).read_bytes()
    manage(fresh, "migrate", "--check")
    counted = manage(fresh, "shell", "-c", "from library.models import Sample; print(Sample.objects.count())")  # fmt: skip
    assert counted.stdout.strip().endswith(str(imported))


def test_verify_names_a_damaged_file_and_a_damaged_database_and_exits_non_zero(
    manage, live, tmp_path
):
    backups = tmp_path / "backups"
    manage(live, "backup", "--to", str(backups))
    assert manage(live, "backup", "--verify", "--to", str(backups)).returncode == 0
    folder = only_backup(backups)
    damaged = sorted(json.loads((folder / backup.MANIFEST).read_text())["files"])[2]
    with open(backups / backup.FILES / damaged, "r+b") as handle:
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 0xFF]))

    result = manage(live, "backup", "--verify", str(folder), "--to", str(backups), check=False)

    assert result.returncode != 0
    assert f"{damaged}: content differs" in result.stderr
    assert result.stderr.count("content differs") == 1, "only the damaged file is named"
    (folder / backup.SQLITE_COPY).write_bytes(b"not a database")
    again = manage(live, "backup", "--verify", "--to", str(backups), check=False)
    assert again.returncode != 0
    assert f"{backup.SQLITE_COPY}: content differs" in again.stderr


def test_a_second_backup_copies_no_audio_it_already_holds(manage, live, tmp_path):
    backups = tmp_path / "backups"
    manage(live, "backup", "--to", str(backups))
    stored = {path: path.stat() for path in (backups / backup.FILES).rglob("*") if path.is_file()}

    second = manage(live, "backup", "--to", str(backups))

    assert "6 files (0 new, 0\xa0bytes)" in second.stdout
    for path, before in stored.items():
        after = path.stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), path
    import_loops(manage, live, tmp_path / "more", (150,))
    third = manage(live, "backup", "--to", str(backups))
    assert "7 files (1 new," in third.stdout
    assert len(backup.published(backups)) == 3


def publish(root: Path, name: str, files: list[str]) -> None:
    (root / name).mkdir(parents=True)
    entries = {file: {"size": 1, "sha256": "0" * 64} for file in files}
    (root / name / backup.MANIFEST).write_text(json.dumps({"files": entries}))
    for file in files:
        (root / backup.FILES / file).parent.mkdir(parents=True, exist_ok=True)
        (root / backup.FILES / file).write_bytes(b"x")


def test_pruning_keeps_the_newest_backups_and_only_the_files_they_name(tmp_path, settings):
    settings.BACKUP_KEEP = 2
    publish(tmp_path, "20260101T000000.000000Z", ["audio/aa/old.wav", "audio/bb/kept.wav"])
    publish(tmp_path, "20260102T000000.000000Z", ["audio/bb/kept.wav"])
    publish(tmp_path, "20260103T000000.000000Z", ["audio/bb/kept.wav", "previews/cc/new.mp3"])

    removed = backup.prune(tmp_path)

    assert [folder.name for folder in removed] == ["20260101T000000.000000Z"]
    assert [folder.name for folder in backup.published(tmp_path)] == [
        "20260102T000000.000000Z",
        "20260103T000000.000000Z",
    ]
    assert sorted(tree(tmp_path / backup.FILES)) == ["audio/bb/kept.wav", "previews/cc/new.mp3"]


@pytest.mark.django_db(transaction=True)
def test_the_daily_schedule_backs_up_the_configured_database_and_records_it(
    make_sample, user, settings
):
    sample = make_sample(user)
    stored = Path(settings.MEDIA_ROOT) / sample.file.name
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"RIFF audio")
    # A test before this one may have flushed the rows migrations made: make it again,
    # as the migration does (idempotently).
    from django.apps import apps

    import_module("core.migrations.0003_daily_backup_schedule").create_schedule(apps, None)
    import_module("core.migrations.0003_daily_backup_schedule").create_schedule(apps, None)
    assert Schedule.objects.get(name="daily-backup").func == "core.tasks.daily_backup"

    record = BackupRecord.objects.get(pk=daily_backup())

    assert record.verified and record.finished_at and record.files == 1
    assert backup.verify(Path(record.folder)) == []
    manifest = json.loads((Path(record.folder) / backup.MANIFEST).read_text())
    assert manifest["engine"] == connection.vendor
    assert (
        manifest["files"][sample.file.name]["sha256"] == hashlib.sha256(b"RIFF audio").hexdigest()
    )


def restore_in_process(monkeypatch, settings, target: Path) -> None:
    """Point the restore code at `target`, as `manage.py restore` there would be."""
    settings.DATA_DIR, settings.MEDIA_ROOT = target, target / "media"
    database = target / "sp404site.sqlite3"
    monkeypatch.setattr(
        restore,
        "sqlite_files",
        lambda: [database, Path(f"{database}-wal"), Path(f"{database}-shm")],
    )
    monkeypatch.setattr(restore, "is_postgres", lambda: False)


def test_a_swap_that_fails_half_way_leaves_the_current_data_as_it_was(
    manage, live, tmp_path, monkeypatch, settings
):
    backups, target = tmp_path / "backups", tmp_path / "target"
    manage(live, "backup", "--to", str(backups))
    manage(target, "migrate", "--noinput", "-v0")
    write_audio(target / "media" / "audio" / "00" / ("0" * 64 + ".wav"), audiogen.kick())
    before = tree(target)
    restore_in_process(monkeypatch, settings, target)
    real_rename, renames = os.rename, []

    def failing_rename(source, destination):
        renames.append(source)
        if len(renames) == 3:  # Old data moved aside, the new not yet all in.
            raise OSError("disk gone")
        real_rename(source, destination)

    monkeypatch.setattr(restore.os, "rename", failing_rename)
    with pytest.raises(OSError, match="disk gone"):
        restore.restore(only_backup(backups), backup.silent)

    assert len(renames) > 3, "the rollback moved the old data back"
    assert tree(target) == before
    assert not list(target.glob(".restore-*"))
    assert not (target / restore.JOURNAL).exists()


def test_a_restore_killed_mid_swap_is_rolled_back_before_the_app_starts(
    manage, live, tmp_path, monkeypatch, settings
):
    backups, target = tmp_path / "backups", tmp_path / "target"
    manage(live, "backup", "--to", str(backups))
    manage(target, "migrate", "--noinput", "-v0")
    write_audio(target / "media" / "audio" / "00" / ("0" * 64 + ".wav"), audiogen.kick())
    before = tree(target)
    die_on_third_rename = (
        "import os, signal\n"
        "from django.core.management import call_command\n"
        "real, calls = os.rename, []\n"
        "def rename(source, destination):\n"
        "    calls.append(source)\n"
        "    if len(calls) == 3:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    real(source, destination)\n"
        "os.rename = rename\n"
        f"call_command('restore', {str(only_backup(backups))!r})\n"
    )
    killed = manage(target, "shell", "-c", die_on_third_rename, check=False)
    assert killed.returncode == -signal.SIGKILL
    assert not (target / "sp404site.sqlite3").exists(), "the swap was meant to be half done"

    restore_in_process(monkeypatch, settings, target)
    lock = restore.open_for_serving()  # What `serve` does before it starts anything.
    os.close(lock)

    assert tree(target) == before
    assert not list(target.glob(".restore-*"))


def test_restore_refuses_while_serve_runs_on_the_data_directory_even_after_serve_is_killed(
    manage, live, tmp_path, subprocess_env
):
    backups = tmp_path / "backups"
    manage(live, "backup", "--to", str(backups))
    manage(live, "collectstatic", "--noinput", "-v0")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(free_port()), "--web-workers", "1"],
        cwd=ROOT, env={**subprocess_env, "SP404_DATA_DIR": str(live), "SP404_WORKERS": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    children = []
    try:
        wait_until(lambda: len(descendants(server.pid)) >= 2, 60, "serve's web and worker")
        children = descendants(server.pid)
        before = tree(live / "media")
        # The supervisor dies without a chance to stop its children: they still serve.
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        time.sleep(0.5)
        refused = manage(live, "restore", str(only_backup(backups)), check=False)
    finally:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child, signal.SIGKILL)
    assert refused.returncode != 0
    assert "The app is running on" in refused.stderr
    assert tree(live / "media") == before
    wait_until(lambda: not any(alive(child) for child in children), 30, "the children to end")
    allowed = manage(live, "restore", str(only_backup(backups)))
    assert "Restored" in allowed.stdout


def descendants(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(line) for line in found.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in ("postgres", "postgresql"),
    reason="PostgreSQL's dump and restore",
)
@pytest.mark.django_db(transaction=True)
def test_postgres_is_restored_with_pg_restore_and_the_audio_with_it(make_sample, user, settings):
    sample = make_sample(user, name="Kept")
    stored = Path(settings.MEDIA_ROOT) / sample.file.name
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"RIFF kept")
    made = backup.create_backup(Path(settings.BACKUP_ROOT))
    sample.name = "Changed"
    sample.save()
    stored.unlink()

    restore.restore(made.folder, backup.silent)

    assert sample.__class__.objects.get(pk=sample.pk).name == "Kept"
    assert stored.read_bytes() == b"RIFF kept"

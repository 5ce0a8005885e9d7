"""Online backups of the database and the audio, verified by hash, kept for a number of days.

A backup folder ROOT holds ``files/`` (every stored file once, shared by all backups,
so a second backup copies only what is new) and one folder per backup named by its
UTC time, with the database copy and ``manifest.json``: each file's size and SHA-256.
A backup is built in a hidden folder and published by renaming it when complete.
"""

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connections
from tqdm import tqdm

FILES = "files"
MANIFEST = "manifest.json"
SQLITE_COPY = "database.sqlite3"
POSTGRES_DUMP = "database.dump"
PARTIAL_PREFIX = ".partial-"
CHUNK = 1024 * 1024

Progress = Callable[[int], None]


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason in words."""


@dataclasses.dataclass
class BackupResult:
    folder: Path
    files: int
    copied: int
    bytes_copied: int
    seconds: float


def keep_count() -> int:
    return settings.BACKUP_KEEP


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def is_postgres() -> bool:
    return connections["default"].vendor == "postgresql"


def postgres_tool(name: str) -> str:
    """The path of a PostgreSQL client program, or a clear error when it is not installed."""
    path = shutil.which(name)
    if not path:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client) to back up or restore PostgreSQL."
        )
    return path


def postgres_arguments() -> tuple[list[str], dict]:
    """Connection options for pg_dump and pg_restore, and the environment with the password."""
    database = connections["default"].settings_dict
    arguments = ["--dbname", database["NAME"]]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if database.get(key):
            arguments += [option, str(database[key])]
    env = {**os.environ}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = database["PASSWORD"]
    return arguments, env


def copy_database(folder: Path) -> Path:
    """Write a consistent copy of the live database into `folder` while others write to it."""
    if is_postgres():
        target = folder / POSTGRES_DUMP
        arguments, env = postgres_arguments()
        command = [postgres_tool("pg_dump"), "--format=custom", "--file", str(target), *arguments]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        return target
    target = folder / SQLITE_COPY
    source = sqlite3.connect(connections["default"].settings_dict["NAME"], timeout=20)
    copy = sqlite3.connect(target)
    try:
        # One step copies every page under one read transaction: a snapshot, and
        # in WAL mode the web server and the worker keep writing meanwhile.
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # One self-contained file.
    finally:
        copy.close()
        source.close()
    return target


def media_files(media_root: Path) -> list[str]:
    """Every stored file under MEDIA_ROOT, as sorted relative paths."""
    if not media_root.is_dir():
        return []
    return sorted(
        path.relative_to(media_root).as_posix()
        for path in media_root.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    )


def copy_file(source: Path, target: Path) -> tuple[int, str]:
    """Copy a file under a temporary name, hashing it on the way, then rename it in place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".copy-")
    try:
        with open(source, "rb") as reader, os.fdopen(handle, "wb") as writer:
            while chunk := reader.read(CHUNK):
                digest.update(chunk)
                writer.write(chunk)
                size += len(chunk)
            writer.flush()
            os.fsync(writer.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return size, digest.hexdigest()


def already_stored(source: Path, target: Path, size: int, entry: dict | None) -> dict | None:
    """The manifest entry of a file ROOT/files holds already, or None when it must be copied."""
    if not target.exists() or target.stat().st_size != size:
        return None
    if entry and entry["size"] == size:
        # Stored files are named by their content and never rewritten.
        return entry
    # Left by a backup that was stopped before it was published: reading both
    # is cheaper than writing again, and lets a long first backup resume.
    digest = sha256_of(target)
    return {"size": size, "sha256": digest} if digest == sha256_of(source) else None


def copy_media(root: Path, known: dict, progress: Progress) -> tuple[dict, int, int]:
    """Copy the files not yet in ROOT/files; return the manifest entries, count and bytes copied."""
    media_root = Path(settings.MEDIA_ROOT)
    entries, copied, bytes_copied = {}, 0, 0
    for relative in media_files(media_root):
        source, target = media_root / relative, root / FILES / relative
        try:
            size = source.stat().st_size
        except FileNotFoundError:  # Purged from the trash since the walk.
            continue
        entry = already_stored(source, target, size, known.get(relative))
        if entry:
            entries[relative] = entry
        else:
            try:
                size, digest = copy_file(source, target)
            except FileNotFoundError:
                continue
            entries[relative] = {"size": size, "sha256": digest}
            copied += 1
            bytes_copied += size
        progress(1)
    return entries, copied, bytes_copied


def published(root: Path) -> list[Path]:
    """The complete backups in ROOT, oldest first."""
    if not root.is_dir():
        return []
    return sorted(path.parent for path in root.glob(f"*/{MANIFEST}") if path.parent.name != FILES)


def latest(root: Path) -> Path:
    backups = published(root)
    if not backups:
        raise BackupError(f"No backup in {root}.")
    return backups[-1]


def read_manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{folder} has no readable {MANIFEST}: {error}") from None


def known_files(root: Path) -> dict:
    """Every file the kept backups list, with its size and hash, newest listing winning."""
    known = {}
    for folder in published(root):
        known.update(read_manifest(folder)["files"])
    return known


def create_backup(root: Path, progress_factory=None) -> BackupResult:
    """Back up the database, then the audio, into a new folder of ROOT, and prune old ones."""
    started = time.monotonic()
    root.mkdir(parents=True, exist_ok=True)
    with one_at_a_time(root):
        return _create_backup(root, progress_factory, started)


@contextlib.contextmanager
def one_at_a_time(root: Path):
    """Hold ROOT's lock: a second run's pruning would remove the first one's new files."""
    fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"Another backup into {root} is running.") from None
        yield
    finally:
        os.close(fd)


def _create_backup(root: Path, progress_factory, started: float) -> BackupResult:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    staging = Path(tempfile.mkdtemp(dir=root, prefix=PARTIAL_PREFIX))
    try:
        # The database first: a row in the copy names audio that is already on disk
        # (files are stored before their row commits), so the copy below has it.
        database = copy_database(staging)
        sources = media_files(Path(settings.MEDIA_ROOT))
        with (progress_factory or silent)(len(sources)) as progress:
            files, copied, bytes_copied = copy_media(root, known_files(root), progress)
        manifest = {
            "format": 1,
            "created": stamp,
            "engine": "postgresql" if is_postgres() else "sqlite",
            "database": {
                "name": database.name,
                "size": database.stat().st_size,
                "sha256": sha256_of(database),
            },
            "files": files,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        folder = root / stamp
        os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    prune(root)
    return BackupResult(folder, len(files), copied, bytes_copied, time.monotonic() - started)


@contextlib.contextmanager
def silent(_total: int):
    """A progress factory that shows nothing."""
    yield lambda _step: None


def prune(root: Path) -> list[Path]:
    """Keep the newest backups; remove the rest, stale partial ones and files none names."""
    backups = published(root)
    removed = backups[: -keep_count()]
    for folder in removed:
        shutil.rmtree(folder)
    for partial in root.glob(f"{PARTIAL_PREFIX}*"):
        # One still being written by another run is younger than a day.
        if time.time() - partial.stat().st_mtime > 24 * 3600:
            shutil.rmtree(partial, ignore_errors=True)
    named = set(known_files(root))
    files = root / FILES
    if files.is_dir():
        for path in files.rglob("*"):
            relative = path.relative_to(files).as_posix()
            if path.is_file() and relative not in named and not path.name.startswith("."):
                path.unlink()
    return removed


def check_database(folder: Path, manifest: dict) -> list[str]:
    """What is wrong with the backup's database copy, in words."""
    entry = manifest["database"]
    path = folder / entry["name"]
    if not path.is_file():
        return [f"{entry['name']}: missing"]
    if sha256_of(path) != entry["sha256"]:
        return [f"{entry['name']}: content differs from the manifest (SHA-256)"]
    if manifest["engine"] == "postgresql":
        result = subprocess.run(
            [postgres_tool("pg_restore"), "--list", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        return [f"{entry['name']}: pg_restore cannot read it"] if result.returncode else []
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as copy:
            verdict = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        copy.close()
    except sqlite3.DatabaseError as error:
        return [f"{entry['name']}: not a readable SQLite database ({error})"]
    return [] if verdict == ["ok"] else [f"{entry['name']}: {line}" for line in verdict]


def verify(folder: Path, progress_factory=None) -> list[str]:
    """Re-read a backup; return one line per problem (empty when every byte checks out)."""
    try:
        manifest = read_manifest(folder)
    except BackupError as error:
        return [str(error)]
    problems = check_database(folder, manifest)
    files = folder.parent / FILES
    with (progress_factory or silent)(len(manifest["files"])) as progress:
        for relative, entry in sorted(manifest["files"].items()):
            path = files / relative
            if not path.is_file():
                problems.append(f"{relative}: missing")
            elif path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
                problems.append(f"{relative}: content differs from the manifest (SHA-256)")
            progress(1)
    return problems


def terminal_progress(enabled: bool, description: str):
    """A progress factory drawing a tqdm bar on a terminal, and nothing elsewhere."""

    @contextlib.contextmanager
    def factory(total: int):
        with tqdm(total=total, desc=description, unit="file", disable=not enabled) as bar:
            yield bar.update

    return factory


def find(name: str | None, root: Path) -> Path:
    """A backup given by path, by folder name in ROOT, or the latest in ROOT when None."""
    if not name:
        return latest(root)
    for candidate in (Path(name), root / name):
        if (candidate / MANIFEST).is_file():
            return candidate.resolve()
    raise BackupError(f"No backup at {name} (a folder with a {MANIFEST}).")

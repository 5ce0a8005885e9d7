"""Put a verified backup in place of the live data, all at once or not at all.

The new database and audio are built in a folder beside the live ones, then swapped
in by renames. A journal written before the first rename names what was moved
aside, so a restore that fails rolls back at once, and one that was killed between
two renames is rolled back by the next `restore` or `serve` (`recover`).
"""

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connections

from core import datalock
from core.backup import (
    FILES,
    BackupError,
    copy_file,
    is_postgres,
    postgres_arguments,
    postgres_tool,
    read_manifest,
    verify,
)

JOURNAL = "restore-journal.json"
OLD_PREFIX = ".restore-old-"
NEW_PREFIX = ".restore-new-"


def data_dir() -> Path:
    return Path(settings.DATA_DIR)


def sqlite_files() -> list[Path]:
    """The live SQLite database with its write-ahead log and shared-memory index."""
    database = Path(connections["default"].settings_dict["NAME"])
    return [database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")]  # fmt: skip


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_journal(folder: Path, journal: dict) -> None:
    """Write the journal durably: the rename that follows must not overtake it."""
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".journal-")
    with os.fdopen(handle, "w") as writer:
        json.dump(journal, writer)
        writer.flush()
        os.fsync(writer.fileno())
    os.replace(temporary, folder / JOURNAL)


def roll_back(journal: dict) -> None:
    """Put every live path the journal names back as it was before the swap began."""
    for move in journal["moves"]:
        live, aside = Path(move["live"]), Path(move["aside"])
        if aside.exists() or aside.is_symlink():
            remove(live)
            os.rename(aside, live)
        elif not move["existed"]:
            remove(live)  # It came from the backup; there was nothing before it.
    shutil.rmtree(journal["old"], ignore_errors=True)


@contextlib.contextmanager
def swapped(replacements: dict[Path, Path], journal_dir: Path):
    """Move each live path aside and its replacement in; undo it all if the block fails."""
    old = Path(tempfile.mkdtemp(dir=journal_dir, prefix=OLD_PREFIX))
    moves = [
        {"live": str(live), "aside": str(old / f"{index}-{live.name}"), "existed": live.exists()}
        for index, live in enumerate(replacements)
    ]
    journal = {"old": str(old), "moves": moves}
    write_journal(journal_dir, journal)
    try:
        for move in moves:
            if move["existed"]:
                os.rename(move["live"], move["aside"])
        for live, new in replacements.items():
            if new.exists():
                os.rename(new, live)
        yield
    except BaseException:
        roll_back(journal)
        (journal_dir / JOURNAL).unlink()
        raise
    # The journal's removal is the commit: from here on the restore stands.
    (journal_dir / JOURNAL).unlink()
    shutil.rmtree(old, ignore_errors=True)


def recover(journal_dir: Path | None = None) -> bool:
    """Roll back a restore that was killed mid-swap, and clear its leftovers; True if it did."""
    journal_dir = journal_dir or data_dir()
    path = journal_dir / JOURNAL
    rolled_back = path.exists()
    if rolled_back:
        roll_back(json.loads(path.read_text()))
        path.unlink()
    for leftover in [*journal_dir.glob(f"{OLD_PREFIX}*"), *journal_dir.glob(f"{NEW_PREFIX}*")]:
        shutil.rmtree(leftover, ignore_errors=True)
    return rolled_back


def open_for_serving() -> int:
    """Take the data directory's lock for a running app, first rolling back a killed restore.

    Raises DataDirectoryBusy while a restore runs. Another server already holding
    the lock shared has done the recovery, so this one only shares it.
    """
    try:
        fd = datalock.acquire(shared=False)
    except datalock.DataDirectoryBusy:
        return datalock.acquire(shared=True)
    recover()
    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    return fd


def build_media(folder: Path, manifest: dict, target: Path, progress) -> None:
    """Copy the backup's audio into `target`, checking each copy's hash on the way."""
    target.mkdir(parents=True)
    files = folder.parent / FILES
    for relative, entry in manifest["files"].items():
        _size, digest = copy_file(files / relative, target / relative)
        if digest != entry["sha256"]:
            raise BackupError(f"{relative} changed while it was being restored.")
        progress(1)


def pg_restore(dump: Path) -> None:
    """Load a custom-format dump into the configured database in one transaction."""
    arguments, env = postgres_arguments()
    command = [postgres_tool("pg_restore"), "--clean", "--if-exists", "--no-owner"]
    command += ["--single-transaction", "--exit-on-error", *arguments, str(dump)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        raise BackupError(f"pg_restore failed, the database is unchanged: {result.stderr.strip()}")


def restore(folder: Path, progress_factory) -> None:
    """Verify the backup, then replace the live database and audio with it.

    Raises DataDirectoryBusy while the app runs on this data directory, and
    BackupError when the backup is damaged or does not fit this installation.
    """
    with datalock.held(shared=False):
        connections.close_all()
        recover()
        problems = verify(folder, progress_factory)
        if problems:
            lines = "\n".join(problems)
            raise BackupError(f"The backup does not verify, nothing was changed:\n{lines}")
        manifest = read_manifest(folder)
        engine = "postgresql" if is_postgres() else "sqlite"
        if manifest["engine"] != engine:
            raise BackupError(f"This is a {manifest['engine']} backup; the app uses {engine}.")
        staging = Path(tempfile.mkdtemp(dir=data_dir(), prefix=NEW_PREFIX))
        try:
            swap_in(folder, manifest, staging, progress_factory)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def swap_in(folder: Path, manifest: dict, staging: Path, progress_factory) -> None:
    """Build the new data in `staging`, then swap it for the live data in one step."""
    dump = folder / manifest["database"]["name"]
    postgres = manifest["engine"] == "postgresql"
    if postgres:
        postgres_tool("pg_restore")  # Refuse before anything is copied.
    with progress_factory(len(manifest["files"])) as progress:
        build_media(folder, manifest, staging / "media", progress)
    replacements = {Path(settings.MEDIA_ROOT): staging / "media"}
    if not postgres:
        shutil.copyfile(dump, staging / sqlite_files()[0].name)
        replacements |= {path: staging / path.name for path in sqlite_files()}
    with swapped(replacements, data_dir()):
        if postgres:
            pg_restore(dump)

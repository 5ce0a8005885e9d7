"""One lock file in the data directory: the running app shares it, a restore takes it alone."""

import contextlib
import fcntl
import os
from pathlib import Path

from django.conf import settings

LOCK_NAME = "app.lock"


class DataDirectoryBusy(Exception):
    """The data directory is in use by a process that the caller must not run beside."""


def lock_path() -> Path:
    return Path(settings.DATA_DIR) / LOCK_NAME


def acquire(*, shared: bool) -> int:
    """Take the data directory's lock without waiting and return its file descriptor.

    It is a kernel lock (flock), so it is released when the last process holding
    the descriptor ends, however it ends: no stale pid file after a crash.
    """
    path = lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DataDirectoryBusy(str(path)) from None
    return fd


@contextlib.contextmanager
def held(*, shared: bool):
    """Hold the lock for the duration of the block."""
    fd = acquire(shared=shared)
    try:
        yield fd
    finally:
        os.close(fd)

"""Where samples' audio lives: content-addressed files under MEDIA_ROOT, shared by every sample of that content."""

import contextlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db.models import Q

from library.models import Sample

logger = logging.getLogger(__name__)
# Older than this, a temporary file belongs to work that has ended: no single
# file takes an hour to import, and a download stops well before.
LEFTOVER_SECONDS = 3600


def stored_name(sha256: str, audio_format: str) -> str:
    """Content-addressed location, relative to MEDIA_ROOT."""
    return f"audio/{sha256[:2]}/{sha256}.{audio_format}"


def store_content(path: Path, name: str) -> bool:
    """Copy the file into the data directory unless the same content is there; True if copied."""
    destination = Path(settings.MEDIA_ROOT) / name
    if destination.exists():
        return False
    destination.parent.mkdir(parents=True, exist_ok=True)
    # Copy beside the target and rename, so a crash never leaves a partial file
    # under a content-addressed name.
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=".incoming-")
    os.close(handle)
    try:
        shutil.copyfile(path, temporary)
        os.replace(temporary, destination)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return True


def delete_unreferenced(names: list[str]) -> None:
    """Remove stored files (audio or previews) that no sample of any user refers to any more."""
    for name in names:
        in_use = Sample.objects.filter(Q(file=name) | Q(preview=name)).exists()
        if not in_use:
            (Path(settings.MEDIA_ROOT) / name).unlink(missing_ok=True)


def remove_leftovers(older_than: float = LEFTOVER_SECONDS) -> int:
    """Delete temporary files that work which ended (or was killed) left behind; returns how many.

    Half-copied audio (".incoming-*" beside the stored files), and whatever is
    in the scratch folder (uploads being received, archives being unpacked,
    downloads), once untouched for ``older_than`` seconds. Run at start-up and
    every hour.
    """
    limit = time.time() - older_than
    scratch = Path(settings.SCRATCH_ROOT)
    inside = list(scratch.rglob("*")) if scratch.exists() else []
    candidates = [*Path(settings.MEDIA_ROOT).rglob(".incoming-*")]
    candidates += [path for path in inside if path.is_file()]
    # Folders are judged before their files go: removing a file touches its folder.
    stale_folders = [
        path
        for path in sorted(inside, reverse=True)
        if path.is_dir()
        and path != Path(settings.FILE_UPLOAD_TEMP_DIR)
        and path.lstat().st_mtime < limit
    ]
    removed = 0
    for path in candidates:
        try:
            if path.lstat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # Its own work finished and removed it meanwhile.
    for folder in stale_folders:
        with contextlib.suppress(OSError):  # Something fresh inside, or gone already.
            folder.rmdir()
    if removed:
        logger.warning("Removed %s temporary files left behind", removed)
    return removed

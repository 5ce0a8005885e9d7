"""Where samples' audio lives: content-addressed files under MEDIA_ROOT, shared by every sample of that content."""

import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.db.models import Q

from library.models import Sample


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

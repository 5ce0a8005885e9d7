"""The library's integrity checks: every sample has its audio, every stored file a sample, every file its content."""

import hashlib
import shutil
from pathlib import Path

from django.conf import settings
from django.db.models import Q

from core.integrity import Problem, register
from library.audio import STRETCHED_FOLDER
from library.models import Sample
from library.tasks import requeue_stranded, stranded_samples

HASH_CHUNK = 1024 * 1024


def media() -> Path:
    return Path(settings.MEDIA_ROOT)


@register("sample files")
def samples_without_audio() -> list[Problem]:
    """Samples whose stored audio is gone: only a backup can bring it back."""
    problems = []
    for sample_id, name, file_name in Sample.objects.values_list("pk", "name", "file").iterator():
        if not (media() / file_name).is_file():
            message = f"Sample {sample_id} ({name}) has lost its audio file {file_name}."
            problems.append(Problem("sample files", message))
    return problems


@register("stray files")
def files_without_samples() -> list[Problem]:
    """Stored audio and previews no sample refers to; moved aside, never deleted."""
    used = set()
    for file_name, preview in Sample.objects.values_list("file", "preview").iterator():
        used.update(name for name in (file_name, preview) if name)
    problems = []
    for folder in ("audio", "previews"):
        for path in sorted((media() / folder).rglob("*")) if (media() / folder).exists() else []:
            name = path.relative_to(media()).as_posix()
            if name.startswith(f"{STRETCHED_FOLDER}/"):
                continue  # A cache of loops at other tempos, no sample's own file.
            if path.is_file() and not path.name.startswith(".incoming-") and name not in used:
                problems.append(
                    Problem("stray files", f"{name} belongs to no sample.", move_aside(path))
                )
    return problems


def move_aside(path: Path):
    def repair() -> None:
        target = Path(settings.DATA_DIR) / "strays" / path.relative_to(media())
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)

    return repair


@register("file contents")
def files_that_changed() -> list[Problem]:
    """Stored audio is named by its SHA-256: a file whose content no longer hashes to
    its name has been damaged on disk."""
    problems = []
    names = Sample.objects.exclude(Q(file="")).values_list("file", flat=True).distinct()
    for file_name in names.iterator():
        path = media() / file_name
        expected = Path(file_name).stem
        if path.is_file() and file_hash(path) != expected:
            message = f"{file_name} no longer holds the audio it was stored with (damaged on disk)."
            problems.append(Problem("file contents", message))
    return problems


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@register("analysis")
def stuck_samples() -> list[Problem]:
    """Samples waiting for analysis longer than the queue retries (the ten-minute sweep
    queues them again; here they are counted, and --fix queues them at once)."""
    count = stranded_samples().count()
    if not count:
        return []
    return [
        Problem("analysis", f"{count} samples have waited too long for analysis.", requeue_stranded)
    ]

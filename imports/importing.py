"""Bringing audio files into a user's library: checks, storage and batch bookkeeping.

Every file is imported alone: a broken file fails with a message a musician
understands, leaves no file on disk and no row in the database, and the rest of
its batch goes on.
"""

import hashlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import IntegrityError, transaction

from imports.models import BatchItem
from library.models import Sample
from library.storage import delete_unreferenced, store_content, stored_name

logger = logging.getLogger(__name__)

AUDIO_EXTENSIONS = {
    ".wav": "wav",
    ".wave": "wav",
    ".aif": "aiff",
    ".aiff": "aiff",
    ".aifc": "aiff",
    ".flac": "flac",
    ".mp3": "mp3",
    ".ogg": "ogg",
    ".oga": "ogg",
}
ARCHIVE_EXTENSIONS = {".zip"}
HASH_CHUNK = 1024 * 1024


class ImportRejected(Exception):
    """A file that cannot become a sample; the message is shown to the user."""


@dataclass
class Outcome:
    """What became of one file."""

    path: str
    status: str
    message: str = ""
    sample: Sample | None = None


def is_audio_name(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in AUDIO_EXTENSIONS


def is_archive_name(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in ARCHIVE_EXTENSIONS


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.0f} MB"


def check_free_space(needed_bytes: int) -> None:
    """Refuse work that would fill the disk the data directory is on."""
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(settings.MEDIA_ROOT).free
    reserve = settings.MIN_FREE_DISK_MB * 1024 * 1024
    if needed_bytes + reserve > free:
        raise ImportRejected(
            f"Not enough free disk space: this needs {megabytes(needed_bytes)} and "
            f"{megabytes(max(free - reserve, 0))} is available."
        )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def split_display_path(display_path: str) -> tuple[str, str]:
    """("Drums/Kicks/kick 1.wav") -> ("Drums/Kicks", "kick 1.wav")."""
    pure = PurePosixPath(display_path.replace("\\", "/"))
    folder = "" if str(pure.parent) == "." else str(pure.parent)
    return folder.strip("/"), pure.name


def check_file(path: Path, file_name: str) -> str:
    """Cheap checks before reading the audio; returns the format."""
    audio_format = AUDIO_EXTENSIONS.get(PurePosixPath(file_name).suffix.lower())
    if audio_format is None:
        raise ImportRejected("Not an audio file this app reads (WAV, AIFF, FLAC, MP3 or OGG).")
    size = path.stat().st_size
    if size == 0:
        raise ImportRejected("The file is empty (0 bytes).")
    if size > settings.UPLOAD_MAX_FILE_BYTES:
        raise ImportRejected(
            f"The file is {megabytes(size)}, over the {settings.UPLOAD_MAX_FILE_MB:,} MB limit."
        )
    return audio_format


def import_file(owner, path: Path, display_path: str) -> Outcome:
    """Turn one file on disk into a sample of `owner`; bad input is reported, never raised."""
    try:
        return _import_file(owner, Path(path), display_path)
    except ImportRejected as rejection:
        return Outcome(display_path, BatchItem.Status.FAILED, str(rejection))
    except OSError as error:
        logger.warning("Could not import %s: %s", display_path, error)
        return Outcome(
            display_path,
            BatchItem.Status.FAILED,
            f"The file could not be read: {error.strerror or error}.",
        )


def _import_file(owner, path: Path, display_path: str) -> Outcome:
    folder, file_name = split_display_path(display_path)
    audio_format = check_file(path, file_name)
    sha256 = file_sha256(path)
    existing = Sample.objects.filter(owner=owner, sha256=sha256).first()
    if existing is not None:
        return outcome_for_existing(existing, display_path)
    info = probe_audio(path)
    check_free_space(path.stat().st_size)
    name = stored_name(sha256, audio_format)
    copied = store_content(path, name)
    try:
        with transaction.atomic():
            sample = Sample.objects.create(
                owner=owner,
                name=PurePosixPath(file_name).stem[:255] or file_name,
                file=name,
                original_filename=file_name[:255],
                source_path=folder[:1024],
                sha256=sha256,
                file_size=path.stat().st_size,
                format=audio_format,
                duration=info.duration,
                sample_rate=info.sample_rate,
                channels=info.channels,
                bit_depth=info.bit_depth,
            )
    except IntegrityError:
        # The same content arrived through another request at the same moment.
        existing = Sample.objects.filter(owner=owner, sha256=sha256).first()
        if existing is None:
            if copied:
                delete_unreferenced([name])
            raise
        return outcome_for_existing(existing, display_path)
    except BaseException:
        if copied:
            delete_unreferenced([name])
        raise
    return Outcome(display_path, BatchItem.Status.IMPORTED, sample=sample)


def outcome_for_existing(existing: Sample, display_path: str) -> Outcome:
    if existing.in_trash:
        existing.restore()
        return Outcome(
            display_path,
            BatchItem.Status.RESTORED,
            f"Restored “{existing.name}” from the trash.",
            existing,
        )
    return Outcome(
        display_path,
        BatchItem.Status.DUPLICATE,
        f"Already in your library as “{existing.name}”.",
        existing,
    )


def probe_audio(path: Path):
    """Decode the whole file once; a file that does not decode is not a sample."""
    # Imported here: the analysis engine (librosa, numba) costs a web process
    # 0.6 s at start, and only the import's worker or request decodes audio.
    from library.analysis import AnalysisError, probe

    try:
        return probe(path)
    except AnalysisError as error:
        raise ImportRejected(str(error)) from None

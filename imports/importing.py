"""Bringing audio files into a user's library: checks, storage and batch bookkeeping.

Every file is checked and stored alone: a broken file fails with a message a
musician understands, leaves no file on disk and no row in the database, and
the rest of its batch goes on. The rows of a group of files are then written
together (see import_files).
"""

import hashlib
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import IntegrityError, transaction

from imports.models import Batch, BatchItem
from library.models import Sample
from library.storage import delete_unreferenced, make_durable, store_content, stored_name

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
# Audio files are imported this many at a time, or fewer holding this many bytes:
# one transaction and one flush to disk for their rows (see import_files).
GROUP_FILES = 64
GROUP_BYTES = 64 * 1024 * 1024
# Packs ship artwork, docs and macOS metadata beside the audio; they are skipped.
IGNORED_PARTS = {"__MACOSX", ".DS_Store"}

Progress = Callable[[BatchItem], None] | None


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
    return import_files(owner, [(Path(path), display_path)])[0]


def import_files(owner, files: list[tuple[Path, str]]) -> list[Outcome]:
    """Turn files on disk into samples of `owner`, one outcome per file, in order.

    Each file is checked, hashed, decoded and stored alone, and fails alone; the
    new samples are then written together: one query finds the files already in
    the library, one flush makes the stored files durable, one transaction makes
    their rows. Per file, that bookkeeping cost more than the work itself: 2,000
    one-shots took 23 s to import one by one, against 0.5 s to read, hash and
    copy them.
    """
    hashed = [
        _guarded(display_path, _hashed, Path(path), display_path) for path, display_path in files
    ]
    digests = [entry.sha256 for entry in hashed if isinstance(entry, Hashed)]
    try:
        # Stored files only: a loop's slices carry its hash too.
        found = Sample.objects.filter(owner=owner, sha256__in=digests, parent__isnull=True)
        existing = {sample.sha256: sample for sample in found}
    except Exception as error:  # Nothing is stored yet: each file fails, and says why.
        logger.exception("Importing %s files stopped", len(files))
        return [internal_error(display_path, error) for _path, display_path in files]
    staged: dict[str, Staged] = {}
    results = [_stage_new(owner, entry, existing, staged) for entry in hashed]
    saved = _save(list(staged.values()))
    return [_outcome(result, saved) for result in results]


def _stage_new(owner, entry, existing: dict[str, Sample], staged: dict[str, "Staged"]):
    """A hashed file stored if its content is new (and added to `staged`), else its outcome."""
    if not isinstance(entry, Hashed):
        return entry
    if entry.sha256 in existing:
        sample = existing[entry.sha256]
        return _guarded(entry.display_path, outcome_for_existing, sample, entry.display_path)
    if entry.sha256 in staged:
        return entry  # The same content as a file before it: it shares that file's outcome.
    result = _guarded(entry.display_path, _stage, owner, entry)
    if isinstance(result, Staged):
        staged[entry.sha256] = result
    return result


def _outcome(result, saved: dict[str, Outcome]) -> Outcome:
    if isinstance(result, Staged):
        return saved[result.sha256]
    if isinstance(result, Hashed):
        return _again(saved[result.sha256], result.display_path)
    return result


@dataclass
class Hashed:
    """A file that passed the cheap checks, with its content hash."""

    path: Path
    display_path: str
    audio_format: str
    sha256: str


@dataclass
class Staged:
    """A decoded file copied into the data directory, waiting for its sample row."""

    display_path: str
    sha256: str
    fields: dict
    copied: bool  # This import wrote the stored file, and removes it if no row is made.


def _guarded(display_path: str, step, *args):
    """One file's step, its failure turned into that file's outcome."""
    try:
        return step(*args)
    except ImportRejected as rejection:
        return Outcome(display_path, BatchItem.Status.FAILED, str(rejection))
    except OSError as error:
        logger.warning("Could not import %s: %s", display_path, error)
        return Outcome(
            display_path,
            BatchItem.Status.FAILED,
            f"The file could not be read: {error.strerror or error}.",
        )
    except Exception as error:
        logger.exception("Importing %s stopped", display_path)
        return internal_error(display_path, error)


def internal_error(display_path: str, error: Exception) -> Outcome:
    message = f"The import of this file stopped with an internal error ({type(error).__name__})."
    return Outcome(display_path, BatchItem.Status.FAILED, message)


def _hashed(path: Path, display_path: str) -> Hashed:
    _folder, file_name = split_display_path(display_path)
    audio_format = check_file(path, file_name)
    return Hashed(path, display_path, audio_format, file_sha256(path))


def _stage(owner, entry: Hashed) -> Staged:
    info = probe_audio(entry.path)
    size = entry.path.stat().st_size
    check_free_space(size)
    name = stored_name(entry.sha256, entry.audio_format)
    copied = store_content(entry.path, name)
    folder, file_name = split_display_path(entry.display_path)
    fields = {
        "owner": owner,
        "name": PurePosixPath(file_name).stem[:255] or file_name,
        "file": name,
        "original_filename": file_name[:255],
        "source_path": folder[:1024],
        "sha256": entry.sha256,
        "file_size": size,
        "format": entry.audio_format,
        "duration": info.duration,
        "sample_rate": info.sample_rate,
        "channels": info.channels,
        "bit_depth": info.bit_depth,
    }
    return Staged(entry.display_path, entry.sha256, fields, copied)


def _save(staged: list[Staged]) -> dict[str, Outcome]:
    """Make the staged files' rows, all in one transaction, else each alone; outcomes by hash."""
    if not staged:
        return {}
    try:
        make_durable([entry.fields["file"] for entry in staged])
        samples = [Sample(**entry.fields) for entry in staged]
        for sample in samples:
            sample.search_text = sample.build_search_text()  # as Sample.save() would
        with transaction.atomic():
            Sample.objects.bulk_create(samples)
    except BaseException as error:
        if not isinstance(error, Exception):  # Interrupted: nothing of these files stays.
            _remove_copies(staged)
            raise
        # The same content arrived through another request at the same moment, say:
        # each file is tried alone, so that only the one concerned fails.
        return {entry.sha256: _guarded(entry.display_path, _save_one, entry) for entry in staged}
    return {
        entry.sha256: Outcome(entry.display_path, BatchItem.Status.IMPORTED, sample=sample)
        for entry, sample in zip(staged, samples, strict=True)
    }


def _save_one(entry: Staged) -> Outcome:
    owner, sha256 = entry.fields["owner"], entry.sha256
    try:
        make_durable([entry.fields["file"]])
        with transaction.atomic():
            sample = Sample.objects.create(**entry.fields)
    except IntegrityError:
        # The same content arrived through another request at the same moment.
        existing = Sample.objects.filter(owner=owner, sha256=sha256, parent__isnull=True).first()
        if existing is None:
            _remove_copies([entry])
            raise
        return outcome_for_existing(existing, entry.display_path)
    except BaseException:
        _remove_copies([entry])
        raise
    return Outcome(entry.display_path, BatchItem.Status.IMPORTED, sample=sample)


def _remove_copies(staged: list[Staged]) -> None:
    delete_unreferenced([entry.fields["file"] for entry in staged if entry.copied])


def _again(first: Outcome, display_path: str) -> Outcome:
    """The outcome of a file whose content came earlier among the same files."""
    if first.sample is None:
        return Outcome(display_path, first.status, first.message)
    return outcome_for_existing(first.sample, display_path)


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


# Batches ---------------------------------------------------------------------


def recorded(batch: Batch, outcome: Outcome, progress: Progress) -> BatchItem:
    """Store one outcome in the batch and report it to the progress display."""
    return recorded_all(batch, [outcome], progress)[0]


def recorded_all(batch: Batch, outcomes: list[Outcome], progress: Progress) -> list[BatchItem]:
    """Store outcomes in the batch together, and report each to the progress display."""
    items = batch.record_all(outcomes) if outcomes else []
    for item in items if progress else []:
        progress(item)
    return items


def in_groups(entries: list, size_of: Callable) -> Iterator[list]:
    """The entries in runs that import_files() takes at once: GROUP_FILES, or fewer
    holding GROUP_BYTES, so that large files still show their progress."""
    group, size = [], 0
    for entry in entries:
        group.append(entry)
        size += size_of(entry)
        if len(group) >= GROUP_FILES or size >= GROUP_BYTES:
            yield group
            group, size = [], 0
    if group:
        yield group


def import_audio(batch: Batch, files: list[tuple[Path, str]], progress: Progress) -> None:
    """Import audio files (no archives) into the batch, a group at a time."""
    for group in in_groups(files, file_size):
        recorded_all(batch, import_files(batch.owner, group), progress)


def file_size(entry: tuple[Path, str]) -> int:
    try:
        return entry[0].stat().st_size
    except OSError:
        return 0  # It fails alone when imported.


@contextmanager
def scratch_dir():
    """A temporary folder on the data directory's disk, removed afterwards."""
    root = Path(settings.SCRATCH_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    folder = tempfile.mkdtemp(dir=root)
    try:
        yield Path(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def is_ignored(relative: str) -> bool:
    parts = PurePosixPath(relative).parts
    return any(part in IGNORED_PARTS or part.startswith("._") for part in parts)

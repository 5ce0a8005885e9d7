"""ZIP archives: their audio files unpacked, checked against ZIP bombs and imported into a batch."""

import logging
import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from django.conf import settings

from imports.importing import (
    ImportRejected,
    Outcome,
    Progress,
    import_files,
    in_groups,
    is_archive_name,
    is_audio_name,
    is_ignored,
    megabytes,
    recorded,
    recorded_all,
    scratch_dir,
)
from imports.models import Batch, BatchItem

logger = logging.getLogger(__name__)
COPY_CHUNK = 1024 * 1024


def unsafe_member_reason(name: str) -> str:
    """Why an archive member's path must not be used, or ""."""
    if "\x00" in name:
        return "The archive gives this file a name with a NUL character; it was not unpacked."
    if is_archive_name(name):
        return "A ZIP inside the ZIP is not unpacked: unzip it and import the folder."
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or re.match(r"^[A-Za-z]:", normalised):
        return "The archive gives this file an absolute path; it was not unpacked."
    if ".." in PurePosixPath(normalised).parts:
        return "The archive tries to place this file outside its folder; it was not unpacked."
    return ""


def archive_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The members to import, and those listed as not unpacked (nested ZIPs, NUL in a name).

    The zipfile module cuts a name at a NUL; the name as the archive gives it counts.
    """
    return [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and (is_audio_name(info.orig_filename) or is_archive_name(info.orig_filename))
        and not is_ignored(info.orig_filename)
    ]


def check_archive_size(members: list[zipfile.ZipInfo], archive_size: int) -> None:
    """Refuse archives that would unpack to far more than they weigh (ZIP bombs)."""
    unpacked = sum(info.file_size for info in members)
    limit = settings.ZIP_MAX_UNPACKED_MB * 1024 * 1024
    if unpacked > limit:
        raise ImportRejected(
            f"The archive would unpack to {megabytes(unpacked)}, over the "
            f"{settings.ZIP_MAX_UNPACKED_MB:,} MB limit."
        )
    if archive_size and unpacked / archive_size > settings.ZIP_MAX_RATIO:
        raise ImportRejected(
            "The archive unpacks to more than "
            f"{settings.ZIP_MAX_RATIO} times its size, which audio never does; it was not unpacked."
        )


def extract_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    """Copy one member out, trusting the bytes read rather than the size it declares."""
    limit = min(info.file_size, settings.UPLOAD_MAX_FILE_BYTES)
    written = 0
    with archive.open(info) as source, open(target, "wb") as destination:
        while chunk := source.read(COPY_CHUNK):
            written += len(chunk)
            if written > limit:
                raise ImportRejected("The file inside the archive is larger than it claims.")
            destination.write(chunk)


def import_archive(
    batch: Batch, path: Path, display_path: str, progress: Progress = None
) -> list[BatchItem]:
    """Import every audio file in a ZIP; the archive itself counts as one file until opened."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive_members(archive)
            check_archive_size(members, path.stat().st_size)
            if not members:
                raise ImportRejected("The archive holds no audio files.")
            batch.expect_more_files(len(members) - 1)
            folder = unpacked_folder(display_path, members)
            return [
                item
                for group in in_groups(members, lambda info: info.file_size)
                for item in import_members(batch, archive, group, folder, progress)
            ]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError):
        message = "This is not a readable ZIP archive."
    except ImportRejected as rejection:
        message = str(rejection)
    return [recorded(batch, Outcome(display_path, BatchItem.Status.FAILED, message), progress)]


def unpacked_folder(display_path: str, members: list[zipfile.ZipInfo]) -> str:
    """The folder the archive's members go into: named after the archive.

    An archive made of one folder of its own name ("Dusty Pack.zip" holding
    "Dusty Pack/...", as zipping a folder makes it) unpacks beside it as that
    folder, not inside a second one ("Dusty Pack/Dusty Pack/...").
    """
    archive = PurePosixPath(display_path.replace("\\", "/"))
    names = [info.orig_filename.replace("\\", "/") for info in members]
    own_folder = f"{archive.stem}/".casefold()
    if all(name.casefold().startswith(own_folder) for name in names):
        return str(archive.parent) if str(archive.parent) != "." else ""
    return str(archive.with_suffix(""))


def import_members(
    batch: Batch, archive: zipfile.ZipFile, members: list, unpack_to: str, progress: Progress
) -> list[BatchItem]:
    """Unpack archive members to a scratch folder and import them together, each failing alone."""
    with scratch_dir() as folder:
        unpacked = [
            unpack_member(archive, info, folder, index, unpack_to)
            for index, info in enumerate(members)
        ]
        files = [entry for entry in unpacked if not isinstance(entry, Outcome)]
        imported = iter(import_files(batch.owner, files))
    outcomes = [entry if isinstance(entry, Outcome) else next(imported) for entry in unpacked]
    return recorded_all(batch, outcomes, progress)


def unpack_member(
    archive, info, folder: Path, index: int, unpack_to: str
) -> tuple[Path, str] | Outcome:
    """Unpack one archive member into the folder: its path and display path, or why it failed.

    The display path is the member's under ``unpack_to`` (see unpacked_folder).
    The message names no server path.
    """
    display_path = f"{unpack_to}/{info.orig_filename}" if unpack_to else info.orig_filename
    display_path = display_path.replace("\\", "/").replace("\x00", "")
    reason = unsafe_member_reason(info.orig_filename)
    if reason:
        return Outcome(display_path, BatchItem.Status.FAILED, reason)
    # The member's own name only for its extension: a name too long for the
    # file system must not stop it.
    target = folder / f"member-{index}{PurePosixPath(info.filename).suffix.lower()[:16]}"
    try:
        extract_member(archive, info, target)
    except ImportRejected as rejection:
        return Outcome(display_path, BatchItem.Status.FAILED, str(rejection))
    except Exception as error:  # One member never ends the archive.
        return Outcome(display_path, BatchItem.Status.FAILED, unpack_failure(error))
    return target, display_path


def unpack_failure(error: Exception) -> str:
    """Why a member could not be unpacked, in words for the person who sent the archive."""
    if isinstance(error, RuntimeError) and "encrypted" in str(error):
        return "The file is encrypted (password-protected) inside the archive; it was not unpacked."
    if isinstance(error, NotImplementedError):
        return (
            "The archive packs this file with a compression method this app cannot unpack "
            "(such as Deflate64); zip it again with ordinary compression."
        )
    if isinstance(error, zipfile.BadZipFile | EOFError | zlib.error):
        return "The file is damaged inside the archive; it was not unpacked."
    if isinstance(error, OSError):
        return f"Could not unpack this file: {error.strerror or type(error).__name__}."
    logger.exception("Unpacking an archive member failed")
    return f"Could not unpack this file: {type(error).__name__}."

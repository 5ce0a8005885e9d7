"""Where imports come from: folders, ZIP archives and links, each feeding a batch."""

import ipaddress
import logging
import os
import re
import shutil
import socket
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import httpx
from django.conf import settings

from imports.importing import (
    ImportRejected,
    Outcome,
    import_file,
    is_archive_name,
    is_audio_name,
    megabytes,
)
from imports.models import Batch, BatchItem

logger = logging.getLogger(__name__)

Progress = Callable[[BatchItem], None] | None
COPY_CHUNK = 1024 * 1024
RATE_GRACE_SECONDS = 20  # A slow start is allowed before the rate counts.
RATIO_FLOOR_BYTES = 16 * 1024 * 1024  # Small answers are never judged by their ratio.
# Packs ship artwork, docs and macOS metadata beside the audio; they are skipped.
IGNORED_PARTS = {"__MACOSX", ".DS_Store"}


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


def importable_files(root: Path) -> list[tuple[Path, str]]:
    """Audio files and archives under `root`, with paths relative to its parent."""
    if root.is_file():
        return [(root, root.name)]
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders.sort()
        for file_name in sorted(files):
            path = Path(folder) / file_name
            relative = path.relative_to(root.parent).as_posix()
            if is_ignored(relative):
                continue
            if is_audio_name(file_name) or is_archive_name(file_name):
                found.append((path, relative))
    return found


def recorded(batch: Batch, outcome: Outcome, progress: Progress) -> BatchItem:
    """Store one outcome in the batch and report it to the progress display."""
    item = batch.record(outcome.path, outcome.status, outcome.message, outcome.sample)
    if progress:
        progress(item)
    return item


def import_one(
    batch: Batch, path: Path, display_path: str, progress: Progress = None
) -> list[BatchItem]:
    """Import a file or an archive that the batch has already counted; returns its items.

    Whatever goes wrong with it fails it alone: the batch goes on to the next file.
    """
    try:
        if is_archive_name(display_path):
            return import_archive(batch, path, display_path, progress)
        outcome = import_file(batch.owner, path, display_path)
    except Exception as error:
        logger.exception("Importing %s stopped", display_path)
        message = (
            f"The import of this file stopped with an internal error ({type(error).__name__})."
        )
        outcome = Outcome(display_path, BatchItem.Status.FAILED, message)
    return [recorded(batch, outcome, progress)]


def import_paths(batch: Batch, roots: list[Path], progress: Progress = None) -> Batch:
    """Import folders (recursively), files and archives into a batch, then close it."""
    files = []
    for root in roots:
        if not root.exists():
            files.append((root, str(root)))
            continue
        files += importable_files(root)
    batch.expect_more_files(len(files))
    for path, relative in files:
        if path.exists():
            import_one(batch, path, relative, progress)
        else:
            missing = Outcome(relative, BatchItem.Status.FAILED, "No such file or folder.")
            recorded(batch, missing, progress)
    return batch.finish()


# Archives ------------------------------------------------------------------


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
            return [
                recorded(batch, import_member(batch, archive, info, display_path), progress)
                for info in members
            ]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError):
        message = "This is not a readable ZIP archive."
    except ImportRejected as rejection:
        message = str(rejection)
    return [recorded(batch, Outcome(display_path, BatchItem.Status.FAILED, message), progress)]


def import_member(batch, archive, info, archive_display: str) -> Outcome:
    """Unpack one archive member to a scratch folder and import it; whatever goes wrong
    with this member fails it alone, with a message that names no server path."""
    archive_folder = str(PurePosixPath(archive_display).with_suffix(""))
    display_path = f"{archive_folder}/{info.orig_filename}".replace("\\", "/").replace("\x00", "")
    reason = unsafe_member_reason(info.orig_filename)
    if reason:
        return Outcome(display_path, BatchItem.Status.FAILED, reason)
    with scratch_dir() as folder:
        # The member's own name only for its extension: a name too long for the
        # file system must not stop it.
        target = folder / f"member{PurePosixPath(info.filename).suffix.lower()[:16]}"
        try:
            extract_member(archive, info, target)
            return import_file(batch.owner, target, display_path)
        except ImportRejected as rejection:
            message = str(rejection)
        except Exception as error:  # One member never ends the archive.
            message = unpack_failure(error)
    return Outcome(display_path, BatchItem.Status.FAILED, message)


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


# Links ---------------------------------------------------------------------

MAGIC_EXTENSIONS = [
    (b"PK\x03\x04", ".zip"),
    (b"fLaC", ".flac"),
    (b"OggS", ".ogg"),
    (b"ID3", ".mp3"),
    (b"\xff\xfb", ".mp3"),
    (b"\xff\xf3", ".mp3"),
]


def guess_extension(head: bytes) -> str:
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return ".wav"
    if head[:4] == b"FORM" and head[8:12] in {b"AIFF", b"AIFC"}:
        return ".aiff"
    for magic, extension in MAGIC_EXTENSIONS:
        if head.startswith(magic):
            return extension
    return ""


def download_name(response: httpx.Response) -> str:
    """The file name a download announces, else the last part of its address."""
    disposition = response.headers.get("content-disposition", "")
    match = re.search(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", disposition, re.IGNORECASE)
    name = unquote(match.group(1)) if match else unquote(PurePosixPath(response.url.path).name)
    return PurePosixPath(name.replace("\\", "/")).name.strip() or "download"


def unreachable(host: str) -> ImportRejected:
    # One message whether the address is refused here, does not resolve, or
    # nothing answers on it: a link must not tell open ports from closed ones.
    return ImportRejected(f"Could not connect to {host}.")


def address_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether sample links may lead to this address (settings.URL_ALLOW_PRIVATE)."""
    address = getattr(address, "ipv4_mapped", None) or address
    policy = settings.URL_ALLOW_PRIVATE
    if address.is_multicast or address.is_reserved:
        return False
    this_machine = address.is_loopback or address.is_link_local or address.is_unspecified
    if this_machine:
        return policy == "yes"
    return address.is_global or policy in {"lan", "yes"}


def check_host(host: str, port: int) -> None:
    """Refuse a host that resolves to any address sample links may not reach."""
    try:
        resolved = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except (OSError, UnicodeError):
        raise unreachable(host) from None
    addresses = [ipaddress.ip_address(address.split("%")[0]) for address in resolved]
    if not addresses or not all(address_allowed(address) for address in addresses):
        raise unreachable(host)


class GuardedTransport(httpx.HTTPTransport):
    """Checks every request's host, so each redirect is checked too.

    The address is looked up here and again when connecting; a name whose
    answer changes in between (DNS rebinding) is the gap left, narrowed by the
    resolver's cache.
    """

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        check_host(url.host, url.port or (443 if url.scheme == "https" else 80))
        return super().handle_request(request)


def download(url: str, folder: Path) -> tuple[Path, str]:
    """Stream a link to disk under the size cap and deadline; returns the file and its name."""
    if urlsplit(url).scheme not in {"http", "https"}:
        raise ImportRejected("Only http:// and https:// links can be imported.")
    host = urlsplit(url).hostname or url
    timeout = httpx.Timeout(settings.URL_IMPORT_TIMEOUT, connect=10)
    try:
        with (
            httpx.Client(
                follow_redirects=True,
                max_redirects=settings.URL_IMPORT_MAX_REDIRECTS,
                timeout=timeout,
                transport=GuardedTransport(),
            ) as client,
            client.stream("GET", url) as response,
        ):
            return save_response(response, folder)
    except httpx.TooManyRedirects:
        raise ImportRejected("The link redirects too many times.") from None
    except (httpx.ConnectError, httpx.ConnectTimeout):
        raise unreachable(host) from None
    except httpx.TimeoutException:
        raise ImportRejected("The server did not answer in time.") from None
    except httpx.HTTPError as error:
        raise ImportRejected(f"The download failed: {error}.") from None


def save_response(response: httpx.Response, folder: Path) -> tuple[Path, str]:
    cap = settings.URL_IMPORT_MAX_MB * 1024 * 1024
    if response.status_code >= 400:
        raise ImportRejected(
            f"The server answered {response.status_code} {response.reason_phrase}."
        )
    declared = int(response.headers.get("content-length") or 0)
    if declared > cap:
        raise ImportRejected(
            f"The download is {megabytes(declared)}, over the {settings.URL_IMPORT_MAX_MB:,} MB limit."
        )
    name = download_name(response)
    target = folder / "download"
    written, started = 0, time.monotonic()
    with open(target, "wb") as handle:
        # As the bytes arrive: a chunk size would hold a dripping answer back.
        for chunk in response.iter_bytes():
            written += len(chunk)
            if written > cap:
                raise ImportRejected(
                    f"The download is over the {settings.URL_IMPORT_MAX_MB:,} MB limit; it was stopped."
                )
            check_pace(written, response.num_bytes_downloaded, time.monotonic() - started)
            handle.write(chunk)
    if not (is_audio_name(name) or is_archive_name(name)):
        with open(target, "rb") as handle:
            name = f"{name}{guess_extension(handle.read(16))}"
    return target, name


def check_pace(written: int, received: int, seconds: float) -> None:
    """Stop a download that inflates far beyond what was sent, takes too long, or drips."""
    if written > RATIO_FLOOR_BYTES and written > settings.ZIP_MAX_RATIO * max(received, 1):
        raise ImportRejected(
            f"The download unpacks to more than {settings.ZIP_MAX_RATIO} times what the "
            "server sent, which audio never does; it was stopped."
        )
    if seconds > settings.URL_IMPORT_DEADLINE:
        minutes = settings.URL_IMPORT_DEADLINE / 60
        raise ImportRejected(f"The download took longer than {minutes:g} minutes; it was stopped.")
    if seconds > RATE_GRACE_SECONDS and written / seconds < settings.URL_IMPORT_MIN_KBPS * 1024:
        raise ImportRejected(
            f"The server sends slower than {settings.URL_IMPORT_MIN_KBPS} KB/s; "
            "the download was stopped."
        )


def import_url(batch: Batch) -> Batch:
    """Download the batch's link and import what it holds, then close the batch."""
    with scratch_dir() as folder:
        try:
            path, name = download(batch.source_url, folder)
        except ImportRejected as rejection:
            batch.record(batch.source_url, BatchItem.Status.FAILED, str(rejection))
            return batch.finish(error=str(rejection))
        import_one(batch, path, name)
    return batch.finish()

"""Where imports come from: folders, ZIP archives and links, each feeding a batch."""

import ipaddress
import logging
import os
import re
import socket
import time
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import httpx
from django.conf import settings

from imports.archives import import_archive
from imports.importing import (
    ImportRejected,
    Outcome,
    Progress,
    import_audio,
    import_file,
    internal_error,
    is_archive_name,
    is_audio_name,
    is_ignored,
    megabytes,
    recorded,
    scratch_dir,
)
from imports.models import Batch, BatchItem

logger = logging.getLogger(__name__)

RATE_GRACE_SECONDS = 20  # A slow start is allowed before the rate counts.
RATIO_FLOOR_BYTES = 16 * 1024 * 1024  # Small answers are never judged by their ratio.


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
        outcome = internal_error(display_path, error)
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
    audio = []  # Audio files in a row, imported together.
    for path, relative in files:
        if path.exists() and not is_archive_name(relative):
            audio.append((path, relative))
            continue
        import_audio(batch, audio, progress)
        audio = []
        if path.exists():
            import_one(batch, path, relative, progress)
        else:
            missing = Outcome(relative, BatchItem.Status.FAILED, "No such file or folder.")
            recorded(batch, missing, progress)
    import_audio(batch, audio, progress)
    return batch.finish()


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


REFUSED_HINT = " Links to this computer or the local network are refused (SP404_URL_ALLOW_PRIVATE)."


def unreachable(host: str) -> ImportRejected:
    # One message whether the address is refused here, does not resolve, or
    # nothing answers on it: a link must not tell open ports from closed ones.
    # Only what the link itself says (an address the policy refuses) adds a hint.
    return ImportRejected(f"Could not connect to {host}.{refused_hint(host)}")


def refused_hint(host: str) -> str:
    """Why a link to this computer or the local network fails, when it names one."""
    name = host.strip("[]").lower()
    try:
        address = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        local_name = name == "localhost" or name.endswith(".localhost")
        address = ipaddress.ip_address("127.0.0.1") if local_name else None
    return "" if address is None or address_allowed(address) else REFUSED_HINT


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

"""Serving audio to the browser: byte ranges, content types, playable previews, a
slice's own frames, and loops stretched to another tempo."""

import contextlib
import io
import os
import re
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse

from library import chops
from library.stretching import stretch

CONTENT_TYPES = {
    "wav": "audio/wav",
    "aiff": "audio/aiff",
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
}
# Browsers cannot all play these; each gets an MP3 copy for auditioning.
NEEDS_PREVIEW = {"aiff", "flac", "ogg"}
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


def preview_name(sha256: str) -> str:
    return f"previews/{sha256[:2]}/{sha256}.mp3"


def make_preview(source: Path, sha256: str) -> str:
    """Write a browser-playable MP3 of `source` once per content; returns its stored name."""
    name = preview_name(sha256)
    target = Path(settings.MEDIA_ROOT) / name
    if target.exists():
        return name
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    audio, sample_rate = sf.read(source, dtype="float32", always_2d=True)
    if audio.shape[1] > 2:
        audio = audio[:, :2]
    # MP3 supports at most 48 kHz; higher rates are played from a decimated copy.
    if sample_rate > 48000:
        audio = soxr.resample(audio, sample_rate, 48000)
        sample_rate = 48000
    try:
        sf.write(partial, audio, sample_rate, format="MP3", subtype="MPEG_LAYER_III")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return name


def slice_audio(sample) -> tuple[np.ndarray, int]:
    """A slice's frames from its loop's file, faded at both edges, as (frames, channels)."""
    with sf.SoundFile(sample.file.path) as source:
        source.seek(sample.start_frame)
        block = source.read(sample.end_frame - sample.start_frame, dtype="float32", always_2d=True)
        rate = source.samplerate
    return chops.fade_edges(block, chops.frames_of(chops.FADE_MS, rate)), rate


def slice_wav(sample) -> bytes:
    """A slice as a 16-bit WAV file a browser plays."""
    block, rate = slice_audio(sample)
    buffer = io.BytesIO()
    sf.write(buffer, block, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


# Stretched previews: a loop played at another tempo, made once per (audio, tempo).
STRETCH_QUEUED_SECONDS = 120  # A queued stretch not done by then is queued again.


STRETCHED_FOLDER = "previews/stretched"  # A cache: its files are made again when asked for.
STRETCHED_KEEP_DAYS = 30  # Previews not played for this long are removed (hourly).


def stretched_name(sample, bpm: float) -> str:
    """Where the loop's preview at ``bpm`` is kept: by content, slice range, the tempo it
    was measured at (a corrected tempo makes another) and the tempo asked for."""
    span = f"-{sample.start_frame}-{sample.end_frame}" if sample.parent_id else ""
    tempi = f"{round(sample.tempo_bpm * 100)}to{round(bpm * 100)}"
    return f"{STRETCHED_FOLDER}/{sample.sha256[:2]}/{sample.sha256}{span}-{tempi}.wav"


def remove_stale_stretches(days: int = STRETCHED_KEEP_DAYS) -> int:
    """Delete stretched previews nobody has played for ``days``; returns how many."""
    limit = time.time() - days * 86400
    folder = Path(settings.MEDIA_ROOT) / STRETCHED_FOLDER
    removed = 0
    for path in folder.rglob("*") if folder.exists() else []:
        with contextlib.suppress(FileNotFoundError):
            info = path.stat()
            if path.is_file() and max(info.st_atime, info.st_mtime) < limit:
                path.unlink()
                removed += 1
    return removed


def stretched_path(sample, bpm: float) -> Path:
    return Path(settings.MEDIA_ROOT) / stretched_name(sample, bpm)


def claim_stretch(sample, bpm: float) -> bool:
    """True for the one request that should queue this stretch (the marker is new or stale)."""
    marker = stretched_path(sample, bpm).with_suffix(".queued")
    marker.parent.mkdir(parents=True, exist_ok=True)
    try:
        if time.time() - marker.stat().st_mtime < STRETCH_QUEUED_SECONDS:
            return False
        marker.unlink(missing_ok=True)
    except FileNotFoundError:
        pass
    try:
        marker.open("x").close()
    except FileExistsError:
        return False
    return True


def make_stretched(sample, bpm: float) -> str:
    """Write the loop's preview at ``bpm`` (16-bit WAV at its own rate); returns its name."""
    target = stretched_path(sample, bpm)
    if not target.exists():
        if sample.parent_id is not None:
            audio, rate = slice_audio(sample)
        else:
            audio, rate = sf.read(sample.file.path, dtype="float32", always_2d=True)
        stretched = stretch(audio[:, :2], rate, sample.tempo_bpm / bpm)
        partial = target.with_suffix(".partial")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            sf.write(partial, stretched, rate, format="WAV", subtype="PCM_16")
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    target.with_suffix(".queued").unlink(missing_ok=True)
    return stretched_name(sample, bpm)


def ranged_file_response(request, path: Path, content_type: str) -> HttpResponse:
    """Serve a file, honouring a single `Range: bytes=` request so players can seek."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise Http404("The sample's audio file is missing from the data directory.") from None
    match = RANGE.match(request.headers.get("Range", "").strip())
    if not match or not any(match.groups()):
        # FileResponse closes the file when the response is done.
        response = FileResponse(open(path, "rb"), content_type=content_type)  # noqa: SIM115
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    else:
        start, end = max(size - int(last), 0), size - 1
    if start > end or start >= size:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    response = StreamingHttpResponse(
        read_range(path, start, end - start + 1), status=206, content_type=content_type
    )
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    return response


def read_range(path: Path, start: int, length: int):
    with open(path, "rb") as handle:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk

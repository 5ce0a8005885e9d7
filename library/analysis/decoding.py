"""Decoding audio files once, checking they are whole, and preparing the analysis signal."""

import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ANALYSIS_RATE = 22050

FORMAT_NAMES = {"WAV": "wav", "WAVEX": "wav", "RF64": "wav", "AIFF": "aiff"}
FORMAT_NAMES |= {"FLAC": "flac", "MP3": "mp3", "OGG": "ogg"}
BIT_DEPTHS = {"PCM_S8": 8, "PCM_U8": 8, "ULAW": 8, "ALAW": 8, "PCM_16": 16, "PCM_24": 24}
BIT_DEPTHS |= {"PCM_32": 32, "FLOAT": 32, "DOUBLE": 64}
# Containers libsndfile reads without complaint when their data was cut short;
# for these the size their header declares is compared with the file size.
RIFF_LIKE = {"wav", "aiff"}
BLOCK_FRAMES = 1 << 16


class AnalysisError(Exception):
    """Audio that cannot be analysed; the message is meant for a musician."""


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds: its length, rate, channels and encoding."""

    duration: float
    sample_rate: int
    channels: int
    bit_depth: int | None
    format: str
    frames: int


@dataclass(frozen=True)
class DecodedAudio:
    """A whole file decoded to float32 samples shaped (frames, channels)."""

    info: AudioInfo
    samples: np.ndarray

    def mono(self) -> np.ndarray:
        """All channels mixed down to one."""
        if self.info.channels == 1:
            return self.samples[:, 0]
        # Summing columns one by one is ten times faster than mean(axis=1) here.
        mixed = self.samples[:, 0].copy()
        for channel in range(1, self.info.channels):
            mixed += self.samples[:, channel]
        mixed *= np.float32(1 / self.info.channels)
        return mixed


def probe(path) -> AudioInfo:
    """Decode the whole file block by block and describe it; raise AnalysisError if broken."""
    with _open(path) as sound_file:
        declared = _declared_info(sound_file)
        try:
            frames = _decode_counting(sound_file)
        except sf.LibsndfileError as error:
            raise _decode_error(error) from None
    return _checked(path, declared, frames)


def load_audio(path) -> DecodedAudio:
    """Decode the whole file once, with the same checks as ``probe``."""
    with _open(path) as sound_file:
        declared = _declared_info(sound_file)
        try:
            samples = sound_file.read(dtype="float32", always_2d=True)
        except sf.LibsndfileError as error:
            raise _decode_error(error) from None
    _check_finite(samples)
    return DecodedAudio(_checked(path, declared, len(samples)), samples)


def _decode_counting(sound_file: sf.SoundFile) -> int:
    """Decode block by block, keeping only the count of frames that really decoded."""
    # Not SoundFile.blocks(): it trusts the header's frame count and pads to it.
    frames = 0
    while True:
        block = sound_file.read(BLOCK_FRAMES, dtype="float32", always_2d=True)
        _check_finite(block)
        frames += len(block)
        if len(block) < BLOCK_FRAMES:
            return frames


def analysis_signal(mono: np.ndarray, sample_rate: int) -> np.ndarray:
    """The mono signal at ANALYSIS_RATE, resampled only when needed."""
    if sample_rate == ANALYSIS_RATE or mono.size == 0:
        return np.ascontiguousarray(mono, dtype=np.float32)
    resampled = soxr.resample(mono, sample_rate, ANALYSIS_RATE, quality="HQ")
    return np.asarray(resampled, dtype=np.float32)


def _open(path) -> sf.SoundFile:
    path = Path(path)
    if not path.is_file():
        raise AnalysisError("The file could not be found.")
    if path.stat().st_size == 0:
        raise AnalysisError("The file is empty.")
    try:
        return sf.SoundFile(str(path))
    except (RuntimeError, TypeError) as error:  # LibsndfileError is a RuntimeError.
        raise _decode_error(error) from None


def _decode_error(error) -> AnalysisError:
    # libsndfile prefixes messages with the (content-addressed) path: drop it.
    reason = re.sub(r"^Error opening '.*?': ", "", str(error)).strip().rstrip(".")
    reason = reason.removeprefix("Error : ") or "unknown reason"
    return AnalysisError(f"The file could not be decoded: {reason[0].lower()}{reason[1:]}.")


def _declared_info(sound_file: sf.SoundFile) -> AudioInfo:
    fmt = FORMAT_NAMES.get(sound_file.format)
    if fmt is None:
        raise AnalysisError(f"This audio format is not supported: {sound_file.format_info}.")
    rate, channels = sound_file.samplerate, sound_file.channels
    return AudioInfo(
        duration=sound_file.frames / rate,
        sample_rate=rate,
        channels=channels,
        bit_depth=BIT_DEPTHS.get(sound_file.subtype) if fmt not in ("mp3", "ogg") else None,
        format=fmt,
        frames=sound_file.frames,
    )


def _checked(path, declared: AudioInfo, decoded_frames: int) -> AudioInfo:
    if decoded_frames == 0:
        raise AnalysisError("The file contains no audio.")
    # MP3 headers announce a frame count; decoding far fewer means the file was cut.
    if declared.format == "mp3" and decoded_frames < 0.99 * declared.frames - 2304:
        raise AnalysisError("The file is truncated: its audio stops before its header says.")
    if declared.format in RIFF_LIKE:
        _check_container_size(Path(path), declared.format)
    return AudioInfo(
        duration=decoded_frames / declared.sample_rate,
        sample_rate=declared.sample_rate,
        channels=declared.channels,
        bit_depth=declared.bit_depth,
        format=declared.format,
        frames=decoded_frames,
    )


def _check_finite(samples: np.ndarray) -> None:
    # NaN propagates through min and max, and an infinity would be one of them.
    if samples.size and not (np.isfinite(samples.min()) and np.isfinite(samples.max())):
        raise AnalysisError("The file contains invalid samples (not-a-number or infinity).")


def _check_container_size(path: Path, fmt: str) -> None:
    """Raise when the audio chunk's declared size runs past the end of the file."""
    with path.open("rb") as handle:
        head = handle.read(12)
        size = path.stat().st_size
        chunk_id = b"data" if fmt == "wav" else b"SSND"
        order = "<" if fmt == "wav" else ">"
        if head[:4] not in (b"RIFF", b"FORM"):
            return  # RF64 and other variants: rely on the decoder.
        offset = 12
        while offset + 8 <= size:
            handle.seek(offset)
            name, length = struct.unpack(f"{order}4sI", handle.read(8))
            if name == chunk_id:
                _compare_sizes(declared=length, available=size - offset - 8)
                return
            offset += 8 + length + (length & 1)


def _compare_sizes(declared: int, available: int) -> None:
    # Streaming writers leave 0 or 0xFFFFFFFF when they never learnt the size;
    # a few bytes short is tolerated because some writers miscount the pad byte.
    if declared in (0, 0xFFFFFFFF):
        return
    if declared - available > 8:
        raise AnalysisError("The file is truncated: its audio stops before its header says.")

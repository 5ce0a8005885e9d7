"""Decoding audio files once, checking they are whole, and preparing the analysis signal."""

import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from library.analysis.endings import cut_short, mp3_counts_its_frames

ANALYSIS_RATE = 22050

FORMAT_NAMES = {"WAV": "wav", "WAVEX": "wav", "RF64": "wav", "AIFF": "aiff"}
FORMAT_NAMES |= {"FLAC": "flac", "MP3": "mp3", "OGG": "ogg"}
BIT_DEPTHS = {"PCM_S8": 8, "PCM_U8": 8, "ULAW": 8, "ALAW": 8, "PCM_16": 16, "PCM_24": 24}
BIT_DEPTHS |= {"PCM_32": 32, "FLOAT": 32, "DOUBLE": 64}
CUT_SHORT = (
    "The file is cut short: it ends before its own end marker, so part of the sound "
    "is missing. Was a download or copy interrupted?"
)
BLOCK_FRAMES = 1 << 16
MP3_FRAME = 1152  # samples in an MPEG-1 Layer III frame


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

    def cut(self, start: int, end: int) -> "DecodedAudio":
        """Frames [start, end) as audio of their own: a slice of a loop."""
        samples = self.samples[start:end]
        if not len(samples):
            raise AnalysisError("The slice lies beyond the end of its loop's audio.")
        frames = len(samples)
        info = replace(self.info, frames=frames, duration=frames / self.info.sample_rate)
        return DecodedAudio(info, samples)


def probe(path) -> AudioInfo:
    """Decode the whole file block by block and describe it; raise AnalysisError if broken."""
    with _open(path) as sound_file:
        declared = _declared_info(sound_file)
        try:
            frames = _decode_counting(sound_file)
        except sf.LibsndfileError as error:
            raise _decode_error(error) from None
    return _checked(path, declared, frames)


def load_audio(path, max_seconds: float | None = None) -> DecodedAudio:
    """Decode the whole file once (or only its first ``max_seconds``), with the same
    checks as ``probe``."""
    with _open(path) as sound_file:
        declared = _declared_info(sound_file)
        limit = -1 if max_seconds is None else max(1, int(max_seconds * declared.sample_rate))
        try:
            samples = sound_file.read(limit, dtype="float32", always_2d=True)
        except sf.LibsndfileError as error:
            raise _decode_error(error) from None
    _check_finite(samples)
    if len(samples) == limit:  # Stopped where asked: the rest is not looked at.
        seconds = limit / declared.sample_rate
        return DecodedAudio(replace(declared, frames=limit, duration=seconds), samples)
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
    # Before decoding: decoders read most cut files without complaint, or fail cryptically.
    try:
        is_cut = cut_short(path)
    except OSError as error:
        raise AnalysisError(f"The file could not be read ({error.strerror or error}).") from None
    if is_cut:
        raise AnalysisError(CUT_SHORT)
    try:
        return sf.SoundFile(str(path))
    except (RuntimeError, TypeError):  # LibsndfileError is a RuntimeError.
        # The file is there and whole, yet no decoder takes it: libsndfile's own
        # words ("format not recognised", "possibly a pipe?") tell a musician nothing.
        raise AnalysisError(NOT_AUDIO) from None


NOT_AUDIO = (
    "Not an audio file this app reads (WAV, AIFF, FLAC, MP3 or OGG), or too damaged to open."
)


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
    # An MP3 cut exactly between two frames looks whole frame by frame; only the
    # length its header announces shows what is missing.
    if declared.format == "mp3" and decoded_frames < declared.frames - _mp3_slack(path, declared):
        raise AnalysisError(CUT_SHORT)
    return AudioInfo(
        duration=decoded_frames / declared.sample_rate,
        sample_rate=declared.sample_rate,
        channels=declared.channels,
        bit_depth=declared.bit_depth,
        format=declared.format,
        frames=decoded_frames,
    )


def _mp3_slack(path, declared: AudioInfo) -> float:
    """How many frames short of its announced length an intact MP3 may decode."""
    # An encoder's own count (Xing, Info, VBRI) is exact, but for encoders that count
    # the header's frame too; without one, mpg123 estimates it from the first bitrate.
    if mp3_counts_its_frames(path):
        return MP3_FRAME
    return 0.01 * declared.frames + 2 * MP3_FRAME


def _check_finite(samples: np.ndarray) -> None:
    # NaN propagates through min and max, and an infinity would be one of them.
    if samples.size and not (np.isfinite(samples.min()) and np.isfinite(samples.max())):
        raise AnalysisError("The file contains invalid samples (not-a-number or infinity).")

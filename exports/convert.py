"""Turn any readable audio file into a WAV or AIFF the SP-404MK2 imports as it is.

Per file: read the header (refusing anything over 16 minutes before decoding),
mix channels, resample with soxr, measure, then render: trim, gain, TPDF dither,
quantise, pad and write. Measuring and rendering are two passes over the same
blocks: a short file is decoded once and kept in memory as float32, a long one
is streamed twice in blocks so a 10-minute loop never sits in memory whole.
A slice converts only a range of its parent's frames, faded at both ends.
"""

import contextlib
import math
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import soundfile as sf
import soxr

from exports.options import (
    DEFAULT_OPTIONS,
    MAX_SECONDS,
    MIN_MILLISECONDS,
    ConversionResult,
    EmptyAudioError,
    ExportOptions,
    SampleTooLongError,
    SourceInfo,
    UnreadableAudioError,
)
from library.chops import fade_in_gains

BLOCK_FRAMES = 1 << 16
# Sources up to this many frames (about 44 s at 48 kHz) are decoded once and kept.
IN_MEMORY_FRAMES = 1 << 21
# -3 dB: a channel beyond left and right is shared by both sides.
_SHARED_CHANNEL_GAIN = 0.7071


@dataclass(frozen=True)
class _Plan:
    """The source and the shape of the signal it becomes."""

    source: SourceInfo
    channels: int
    sample_rate: int
    bit_depth: int
    container: str
    quality: str
    # The source frames converted: [start, start + length), faded over `fade` at each end.
    start: int
    length: int
    fade: int

    @property
    def resampled(self) -> bool:
        """Whether the sample rate changes."""
        return self.source.sample_rate != self.sample_rate

    @property
    def mixed(self) -> bool:
        """Whether the channel count changes."""
        return self.source.channels != self.channels


@dataclass
class _Levels:
    """What the measuring pass found in the converted signal."""

    frames: int = 0
    highest: float = 0.0
    lowest: float = 0.0
    first_loud: int | None = None
    last_loud: int | None = None

    @property
    def peak(self) -> float:
        """The largest magnitude on either side of zero."""
        return max(self.highest, -self.lowest)


@dataclass(frozen=True)
class _Render:
    """What the writing pass does to the converted signal."""

    start: int
    end: int
    gain: float
    clipped: bool
    dither: bool
    pad_frames: int
    warnings: list[str]


def inspect_source(src_path: str | os.PathLike) -> SourceInfo:
    """Read a source's header; raise ConversionError if it cannot become a sample."""
    source = _read_header(src_path)
    _source_range(source, None)  # refuses more than 16 minutes
    return source


def convert(
    src_path: str | os.PathLike,
    dst_path: str | os.PathLike | BinaryIO,
    options: ExportOptions = DEFAULT_OPTIONS,
    *,
    seed: int | None = None,
    frames: tuple[int, int] | None = None,
    fade_frames: int = 0,
) -> ConversionResult:
    """Convert a source, or its frames [start, end) at its own rate, to dst_path or an open file."""
    source = _read_header(src_path)
    start, length = _source_range(source, frames)
    plan = _plan(source, options, start, length, fade_frames)
    blocks = _block_source(plan)
    levels = _measure(blocks(), 10 ** (options.trim_threshold_dbfs / 20))
    render = _render_settings(levels, plan, options)
    # Dither is seeded per file so the same export gives byte-identical files.
    rng = np.random.default_rng(_seed_for(src_path) if seed is None else seed)
    dither = rng if render.dither else None
    if isinstance(dst_path, str | os.PathLike):
        destination = os.fspath(dst_path)
        written = _write_atomically(blocks(), destination, render, plan, dither)
        size = os.path.getsize(destination)
    else:
        # The caller opened the file (and decides whether it is kept).
        destination = ""
        written = _write(blocks(), dst_path, render, plan, dither)
        size = dst_path.seek(0, os.SEEK_END)
    return ConversionResult(
        path=destination,
        format=options.format,
        frames=written,
        duration=written / options.sample_rate,
        sample_rate=options.sample_rate,
        channels=plan.channels,
        bit_depth=options.bit_depth,
        clipped=render.clipped,
        padded=render.pad_frames > 0,
        dithered=render.dither,
        trimmed_frames=levels.frames - (render.end - render.start),
        gain_db=20 * math.log10(render.gain),
        warnings=render.warnings,
        bytes_written=size,
    )


def _read_header(src_path: str | os.PathLike) -> SourceInfo:
    """A source's header; raise ConversionError if it is not audio or holds none."""
    path = os.fspath(src_path)
    name = os.path.basename(path)
    try:
        info = sf.info(path)
    except (RuntimeError, OSError, TypeError) as error:
        raise UnreadableAudioError(f'"{name}" could not be opened as audio.') from error
    if info.frames <= 0:
        raise EmptyAudioError(f'"{name}" contains no audio.')
    return SourceInfo(path, info.frames, info.samplerate, info.channels, info.format, info.subtype)


def _source_range(source: SourceInfo, frames: tuple[int, int] | None) -> tuple[int, int]:
    """The first frame and frame count to convert: the whole file, or a range cut at its end."""
    name = os.path.basename(source.path)
    start, end = (0, source.frames) if frames is None else frames
    if start < 0:
        raise ValueError(f"A slice cannot start before the first frame (start={start}).")
    # A slice marked on a longer decode of its parent (or a rounded end) keeps what exists.
    length = min(end, source.frames) - start
    if length <= 0:
        raise EmptyAudioError(
            f'The slice from frame {start} to {end} of "{name}" holds no audio '
            f"(the file has {source.frames} frames)."
        )
    # Only the range becomes a sample: a long parent is fine if the slice is short.
    if length > MAX_SECONDS * source.sample_rate:
        what = f'"{name}"' if frames is None else f'The slice of "{name}"'
        raise SampleTooLongError(
            f"{what} is {_minutes(length / source.sample_rate)} long, but the SP-404MK2 "
            f"takes samples of at most {MAX_SECONDS // 60} minutes. Trim or split it first."
        )
    return start, length


def _plan(
    source: SourceInfo, options: ExportOptions, start: int, length: int, fade_frames: int
) -> _Plan:
    """Decide output channels, rate, resampling quality and fade length for a source range."""
    if fade_frames < 0:
        raise ValueError(f"fade_frames cannot be negative ({fade_frames}).")
    channels = 1 if options.mono else min(source.channels, 2)
    # The fade-in and fade-out never overlap: each gets at most half the range.
    fade = min(fade_frames, length // 2)
    output = (options.sample_rate, options.bit_depth, options.container, options.quality)
    return _Plan(source, channels, *output, start, length, fade)


def _block_source(plan: _Plan) -> Callable[[], Iterator[np.ndarray]]:
    """A way to go over the converted blocks twice: kept if short, re-streamed if long."""
    if plan.length <= IN_MEMORY_FRAMES:
        kept = list(_converted_blocks(plan, in_memory=True))
        return lambda: _views_of_block_size(kept)
    return lambda: _converted_blocks(plan, in_memory=False)


def _views_of_block_size(blocks: list[np.ndarray]) -> Iterator[np.ndarray]:
    """Views of at most BLOCK_FRAMES frames, so per-block temporaries stay small."""
    for block in blocks:
        for start in range(0, len(block), BLOCK_FRAMES):
            yield block[start : start + BLOCK_FRAMES]


def _converted_blocks(plan: _Plan, *, in_memory: bool) -> Iterator[np.ndarray]:
    """Decode, mix and resample the source, yielding float32 (frames, channels) blocks."""
    resampler = None
    if plan.resampled:
        resampler = soxr.ResampleStream(
            plan.source.sample_rate, plan.sample_rate, plan.channels, "float32", plan.quality
        )
    position = 0
    with sf.SoundFile(plan.source.path) as audio:
        for block in _decoded_blocks(audio, plan, in_memory=in_memory):
            if plan.source.pcm_bits is None:
                # A float file may hold NaN or infinity; the resampler would smear it.
                np.nan_to_num(block, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
            if plan.fade:
                _fade(block, position, plan)
            position += len(block)
            mixed = _mix_channels(block, plan.channels)
            yield resampler.resample_chunk(mixed) if resampler else mixed
    if resampler:
        yield resampler.resample_chunk(np.zeros((0, plan.channels), np.float32), last=True)


def _decoded_blocks(audio: sf.SoundFile, plan: _Plan, *, in_memory: bool) -> Iterator[np.ndarray]:
    """The range as one float32 array, or blocks of it read into one reused buffer."""
    # Only the range is decoded: a slice of a long loop never reads the rest of it.
    audio.seek(plan.start)
    if in_memory:
        yield audio.read(plan.length, dtype="float32", always_2d=True)
        return
    # Reusing the buffer is safe: a streamed block is used up before the next read.
    buffer = np.empty((BLOCK_FRAMES, audio.channels), np.float32)
    yield from audio.blocks(frames=plan.length, out=buffer)


def _fade(block: np.ndarray, position: int, plan: _Plan) -> None:
    """Fade in the range's first plan.fade frames and out its last, where block holds them."""
    end = position + len(block)
    if position < plan.fade:
        head = block[: plan.fade - position]
        head *= fade_in_gains(plan.fade, position, position + len(head))
    tail_start = max(position, plan.length - plan.fade)
    if tail_start < end:
        # The fade-out is the fade-in backwards, counted from the range's last frame.
        gains = fade_in_gains(plan.fade, plan.length - end, plan.length - tail_start)
        block[tail_start - position :] *= gains[::-1]


def _mix_channels(block: np.ndarray, channels: int) -> np.ndarray:
    """Average to mono, or fold more than two channels into stereo."""
    if block.shape[1] == channels:
        return block
    if channels == 1:
        return block.mean(axis=1, keepdims=True, dtype=np.float32)
    # WAV puts left and right first; centre, LFE and surrounds go to both sides.
    shared = block[:, 2:].mean(axis=1, keepdims=True, dtype=np.float32)
    return block[:, :2] + _SHARED_CHANNEL_GAIN * shared


def _measure(blocks: Iterator[np.ndarray], threshold: float) -> _Levels:
    """Length, peak and first and last frame above the trim threshold."""
    levels = _Levels()
    for block in blocks:
        if len(block):
            levels.highest = max(levels.highest, float(block.max()))
            levels.lowest = min(levels.lowest, float(block.min()))
            frame_peaks = np.abs(block).max(axis=1)
            loud = np.flatnonzero(frame_peaks > threshold)
            if loud.size:
                if levels.first_loud is None:
                    levels.first_loud = levels.frames + int(loud[0])
                levels.last_loud = levels.frames + int(loud[-1])
        levels.frames += len(block)
    return levels


def _render_settings(levels: _Levels, plan: _Plan, options: ExportOptions) -> _Render:
    """Trim bounds, gain, dither and padding for the writing pass."""
    warnings: list[str] = []
    if levels.peak == 0:
        warnings.append("The sample is completely silent.")
    start, end = _trim_bounds(levels, options, warnings)
    gain, clipped = _gain(levels, options, warnings)
    pad_frames = _padding(end - start, options, warnings)
    # Dither only where samples change; a bit-exact copy stays bit-exact.
    dither = not _is_bit_exact_copy(plan, gain)
    return _Render(start, end, gain, clipped, dither, pad_frames, warnings)


def _is_bit_exact_copy(plan: _Plan, gain: float) -> bool:
    """Whether every source sample lands unchanged on an output step."""
    source_bits = plan.source.pcm_bits
    # A fade scales samples; a range without one copies them as they are.
    unchanged = gain == 1.0 and not (plan.resampled or plan.mixed or plan.fade)
    return unchanged and source_bits is not None and source_bits <= plan.bit_depth


def _trim_bounds(levels: _Levels, options: ExportOptions, warnings: list[str]) -> tuple[int, int]:
    """The frame range to keep: everything, or the loud part plus a few ms either side."""
    if not options.trim_silence:
        return 0, levels.frames
    if levels.first_loud is None or levels.last_loud is None:
        if levels.peak > 0:
            warnings.append("Everything is below the silence threshold; nothing was trimmed.")
        return 0, levels.frames
    keep = round(options.trim_keep_ms * options.sample_rate / 1000)
    return max(0, levels.first_loud - keep), min(levels.frames, levels.last_loud + 1 + keep)


def _gain(levels: _Levels, options: ExportOptions, warnings: list[str]) -> tuple[float, bool]:
    """The gain to apply and whether the signal went over full scale."""
    steps = 2 ** (options.bit_depth - 1)
    # PCM reaches one step further down than up: -32768 is legal, +32768 is not.
    highest_legal = (steps - 1) / steps
    # One step of headroom so rounding plus dither cannot reach past full scale.
    ceiling = (steps - 2) / steps
    overshoot = max(levels.highest / highest_legal, -levels.lowest)
    clipped = overshoot > 1.0
    if clipped:
        warnings.append(
            f"The peaks were {20 * math.log10(overshoot):.2f} dB over full scale; "
            "the level was lowered so nothing clips."
        )
    if options.normalize and levels.peak > 0:
        return min(10 ** (options.normalize_dbfs / 20), ceiling) / levels.peak, clipped
    return (ceiling / levels.peak if clipped else 1.0), clipped


def _padding(frames: int, options: ExportOptions, warnings: list[str]) -> int:
    """Frames of silence to append so the sample reaches 100 ms, if asked to."""
    minimum = -(-options.sample_rate * MIN_MILLISECONDS // 1000)
    if frames >= minimum:
        return 0
    if options.pad_short:
        return minimum - frames
    milliseconds = frames * 1000 / options.sample_rate
    warnings.append(
        f"Shorter than {MIN_MILLISECONDS} ms ({milliseconds:.0f} ms): the SP-404MK2 may "
        "refuse to import it. Turn on padding to add silence."
    )
    return 0


def _write_atomically(
    blocks: Iterator[np.ndarray],
    destination: str,
    render: _Render,
    plan: _Plan,
    rng: np.random.Generator | None,
) -> int:
    """Write under a temporary name, then rename, so a failure leaves no half file."""
    partial = destination + ".partial"
    try:
        frames = _write(blocks, partial, render, plan, rng)
        os.replace(partial, destination)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
        raise
    return frames


def _write(
    blocks: Iterator[np.ndarray],
    target: str | BinaryIO,
    render: _Render,
    plan: _Plan,
    rng: np.random.Generator | None,
) -> int:
    """Write the rendered audio to a path or an open file; return frames written."""
    container, subtype = plan.container, f"PCM_{plan.bit_depth}"
    with sf.SoundFile(
        target, "w", plan.sample_rate, plan.channels, subtype, format=container
    ) as output:
        return _write_blocks(output, blocks, render, plan.bit_depth, rng)


def _write_blocks(
    output: sf.SoundFile,
    blocks: Iterator[np.ndarray],
    render: _Render,
    bit_depth: int,
    rng: np.random.Generator | None,
) -> int:
    """Write the kept part of each block, then any padding; return frames written."""
    position = written = 0
    for block in blocks:
        kept = block[max(render.start - position, 0) : max(render.end - position, 0)]
        position += len(block)
        if len(kept):
            output.write(_quantize(kept, render.gain, bit_depth, rng))
            written += len(kept)
    if render.pad_frames:
        silence_type = np.int16 if bit_depth == 16 else np.int32
        output.write(np.zeros((render.pad_frames, output.channels), silence_type))
        written += render.pad_frames
    return written


def _quantize(
    block: np.ndarray, gain: float, bit_depth: int, rng: np.random.Generator | None
) -> np.ndarray:
    """Scale to integer steps, add TPDF dither, round and saturate (never wrap around)."""
    steps = 2 ** (bit_depth - 1)
    # float32 resolves a 16-bit step finely enough; 24-bit steps need float64.
    work_type = np.float32 if bit_depth == 16 else np.float64
    scaled = block.astype(work_type, copy=False) * work_type(gain * steps)
    if rng is not None:
        # Two uniforms per sample, drawn frame by frame, make the same triangular
        # noise however the signal is cut into blocks.
        uniforms = rng.random((*scaled.shape, 2), dtype=work_type)
        scaled += uniforms[..., 0]
        scaled -= uniforms[..., 1]
    np.rint(scaled, out=scaled)
    np.clip(scaled, -steps, steps - 1, out=scaled)
    if bit_depth == 16:
        return scaled.astype(np.int16)
    # libsndfile writes 24-bit PCM from the top three bytes of an int32.
    return scaled.astype(np.int32) << 8


def _seed_for(src_path: str | os.PathLike) -> int:
    """A dither seed that depends only on the source's file name."""
    return zlib.crc32(os.path.basename(os.fspath(src_path)).encode("utf-8", "surrogateescape"))


def _minutes(seconds: float) -> str:
    """Seconds as m:ss for a musician, rounded up so 16:00.5 does not read as 16:00."""
    whole = math.ceil(seconds)
    return f"{whole // 60}:{whole % 60:02d}"

"""Recorded one-shots taken as they are: freepats' Gravis Ultrasound patches and LMMS's samples."""

import io
import math
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
from corpus_common import Example, example_at, save_recording
from corpus_soundfonts import GM_DRUMS, TONE_STYLE, note_name, program_label

# LMMS sample folders: (folder, file name prefix, label); the first match wins, None skips.
LMMS_RULES = (
    ("drums", ("nasty_bass", "zap"), None),
    ("drums", ("bassdrum", "kick"), "kick"),
    ("drums", ("snare", "nasty_snare"), "snare"),
    ("drums", ("sidestick", "rim", "nasty_rim", "wood", "clav", "shaker"), "percussion"),
    ("drums", ("clap",), "clap"),
    ("drums", ("hihat_closed", "hihat_foot_pedal"), "closed_hat"),
    ("drums", ("hihat_opened",), "open_hat"),
    ("drums", ("crash", "ride"), "cymbal"),
    ("drums", ("tom",), "tom"),
    ("basses", ("",), "bass"),
    ("instruments", ("bassslap",), "bass"),
    ("instruments", ("cello", "violin_fingered", "violin_double_stop", "flute", "trumpet"), "lead"),
    ("instruments", ("piano", "e_piano", "harpsichord", "church_organ", "e_organ"), "keys"),
    ("instruments", ("steel_guitar", "violin_pizzicato"), "keys"),
    ("stringsnpads", ("bell_choir",), None),
    ("stringsnpads", ("chorus", "rave_choir"), "vocal"),
    ("stringsnpads", ("",), "pad"),
    ("effects", ("",), "fx"),
)


@dataclass(frozen=True)
class PatchSample:
    """One recorded sample of a Gravis Ultrasound patch, mono at its own rate."""

    audio: np.ndarray
    rate: int
    root_key: int
    loop: tuple[int, int] | None  # frames
    pingpong: bool


def read_patch(path: Path) -> list[PatchSample]:
    """The samples of a GUS patch (.pat): a 239-byte header, then a 96-byte header per sample."""
    data = path.read_bytes()
    if not data.startswith(b"GF1PATCH"):
        raise ValueError(f"{path} is not a GUS patch")
    samples, offset = [], 239
    for _ in range(data[198]):  # the layer header's sample count
        length, loop_start, loop_end, rate = struct.unpack_from("<IIIH", data, offset + 8)
        root_millihertz = struct.unpack_from("<I", data, offset + 30)[0]
        modes = data[offset + 55]  # bit 0: 16-bit, 1: unsigned, 2: looped, 3: ping-pong
        width, unsigned = (2 if modes & 1 else 1), bool(modes & 2)
        dtype = f"<{'u' if unsigned else 'i'}{width}"
        raw = np.frombuffer(data, dtype, length // width, offset + 96).astype(np.float32)
        full_scale = 2.0 ** (8 * width - 1)
        audio = (raw - full_scale if unsigned else raw) / full_scale
        root_key = round(69 + 12 * math.log2(max(root_millihertz, 1) / 440_000))
        loop = (loop_start // width, loop_end // width) if modes & 4 else None
        samples.append(PatchSample(audio, rate, root_key, loop, bool(modes & 8)))
        offset += 96 + length
    return samples


def sustain(sample: PatchSample, seconds: float) -> np.ndarray:
    """A looped sample played for `seconds`, as a sampler would hold it, then faded out."""
    frames = int(seconds * sample.rate)
    start, end = sample.loop or (0, 0)
    end = min(end, len(sample.audio))
    if end - start < 8 or len(sample.audio) >= frames:
        return sample.audio
    loop = sample.audio[start:end]
    if sample.pingpong:
        loop = np.concatenate([loop, loop[::-1]])
    repeats = math.ceil((frames - end) / len(loop))
    held = np.concatenate([sample.audio[:end], np.tile(loop, repeats)])[:frames]
    release = min(frames, int(0.05 * sample.rate))
    held[frames - release :] *= np.linspace(1.0, 0.0, release, dtype=held.dtype)
    return held


def pick_samples(samples: list[PatchSample], low: int, high: int) -> list[PatchSample]:
    """The lowest, middle and highest sample whose root lies in low..high (else the nearest)."""
    samples = sorted(samples, key=lambda sample: sample.root_key)
    in_range = [sample for sample in samples if low <= sample.root_key <= high] or [
        min(samples, key=lambda sample: abs(sample.root_key - (low + high) / 2))
    ]
    picked = {}
    for sample in (in_range[0], in_range[len(in_range) // 2], in_range[-1]):
        picked.setdefault(sample.root_key, sample)
    return list(picked.values())


def freepats_examples(cache_dir: Path, root: Path) -> list[Example]:
    """Drum patches by their key; melodic patches by program, up to three samples each."""
    base, examples = root / "usr/share/midi/freepats", []
    for patch in sorted((base / "Drum_000").glob("*.pat")):
        if int(patch.name[:3]) in GM_DRUMS:
            label = GM_DRUMS[int(patch.name[:3])][1]
            sample = read_patch(patch)[0]  # every freepats drum patch holds one sample
            example = example_at(cache_dir, "freepats", label, f"{patch.stem}.wav", "Drum_000")
            examples.append(save_recording(sample.audio, sample.rate, example))
    for patch in sorted((base / "Tone_000").glob("*.pat")):
        label = program_label(int(patch.name[:3]))
        if label is None:
            continue
        low, high, hold = TONE_STYLE[label]
        samples = read_patch(patch)
        for sample in pick_samples(samples, low, high):
            suffix = "" if len(samples) == 1 else f"_{note_name(sample.root_key)}"
            example = example_at(
                cache_dir, "freepats", label, f"{patch.stem}{suffix}.wav", "Tone_000"
            )
            examples.append(save_recording(sustain(sample, hold), sample.rate, example))
    return [example for example in examples if example is not None]


def read_audio(path: Path) -> tuple[np.ndarray, int]:
    """Samples and rate of an audio file, including Ogg Vorbis wrapped in a WAV container."""
    try:
        return soundfile.read(path, dtype="float32", always_2d=True)
    except soundfile.LibsndfileError:
        # A few LMMS ".ogg" files are RIFF/WAVE with format tag 0x674F, an Ogg stream in the
        # data chunk, which libsndfile does not open; the stream itself it reads.
        data = path.read_bytes()
        ogg = data.find(b"OggS")
        if not data.startswith(b"RIFF") or ogg < 0:
            raise
        return soundfile.read(io.BytesIO(data[ogg:]), dtype="float32", always_2d=True)


def lmms_label(folder: str, file_name: str) -> str | None:
    """Category of an LMMS sample from its folder and file name, or None to skip it."""
    for rule_folder, prefixes, label in LMMS_RULES:
        if folder == rule_folder and file_name.startswith(prefixes):
            return label
    return None


def lmms_examples(cache_dir: Path, root: Path) -> list[Example]:
    """LMMS's one-shots, keeping each file's own name and folder."""
    examples = []
    for path in sorted((root / "usr/share/lmms/samples").glob("*/*")):
        label = lmms_label(path.parent.name, path.name)
        if label:
            example = example_at(cache_dir, "lmms", label, path.name, path.parent.name)
            examples.append(save_recording(*read_audio(path), example))
    return [example for example in examples if example is not None]

"""Build a labelled development corpus of real recorded one-shots from Debian packages.

Usage: .venv/bin/python bench/category_sources.py [--cache DIR]

Downloads four Debian packages with `apt-get download`, unpacks them with `dpkg-deb -x`
and turns what they hold into short WAV one-shots (44.1 kHz, 16-bit), each labelled with
one of the instrument categories kick, snare, clap, closed_hat, open_hat, cymbal, tom,
percussion, bass, keys, pad, lead, vocal and fx:

- avldrums.lv2-soundfont: the AVL Black Pearl and Red Zeppelin kits, every mapped note at
  one velocity per recorded velocity layer, rendered with the fluidsynth command line;
- timgm6mb-soundfont: every bank-128 drum kit at three velocities, and the melodic
  programs (bank 0) at a few notes each, labelled by General MIDI program family;
- freepats: the Gravis Ultrasound patches, parsed here and written as recorded;
- lmms-common: the drum, bass, instrument, pad and effect one-shots from LMMS's sample
  folders (loops, phrases, waveforms and synthesis definitions are left out).

Every file is trimmed alike: leading silence up to 3 ms before the attack goes, the tail
goes once the level stays 60 dB below the peak, and nothing is longer than 6 s.
`build` is idempotent: each source records what it produced next to its files and is only
redone when that record or one of its files is missing.

Hydrogen drum kits, Sonic Pi samples, FluidR3 and musescore-general-soundfont are
deliberately never used here, so that they stay available for independent evaluation of
a classifier trained on this corpus.
"""

import argparse
import csv
import hashlib
import io
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import soxr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from library.analysis.naming import LOOPS
from library.vocabulary import CATEGORIES

RATE = 44100
MAX_SECONDS = 6.0
SILENT_PEAK = 1e-4  # -80 dBFS: a note the kit does not map renders as (near) digital silence
ONSET_RATIO = 10 ** (-50 / 20)
TAIL_RATIO = 10 ** (-60 / 20)
DEFAULT_CACHE = Path.home() / ".cache" / "sp404site" / "category-corpus"
PACKAGES = ("lmms-common", "avldrums.lv2-soundfont", "timgm6mb-soundfont", "freepats")
SOURCES = ("avl_black_pearl", "avl_red_zeppelin", "timgm6mb", "freepats", "lmms")
# Every one-shot category of the app, in its order.
LABELS = tuple(name for name in CATEGORIES if name not in LOOPS and name != "other")
SF2_DIR = Path("usr/share/sounds/sf2")
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

# General MIDI drum keys 35-82 with their names and categories; the vibraslap (58) and the
# whistles (71, 72) belong to no drum category and are left out.
GM_DRUMS = {
    35: ("Acoustic Bass Drum", "kick"),
    36: ("Bass Drum 1", "kick"),
    37: ("Side Stick", "percussion"),
    38: ("Acoustic Snare", "snare"),
    39: ("Hand Clap", "clap"),
    40: ("Electric Snare", "snare"),
    41: ("Low Floor Tom", "tom"),
    42: ("Closed Hi-Hat", "closed_hat"),
    43: ("High Floor Tom", "tom"),
    44: ("Pedal Hi-Hat", "closed_hat"),
    45: ("Low Tom", "tom"),
    46: ("Open Hi-Hat", "open_hat"),
    47: ("Low-Mid Tom", "tom"),
    48: ("Hi-Mid Tom", "tom"),
    49: ("Crash Cymbal 1", "cymbal"),
    50: ("High Tom", "tom"),
    51: ("Ride Cymbal 1", "cymbal"),
    52: ("Chinese Cymbal", "cymbal"),
    53: ("Ride Bell", "cymbal"),
    54: ("Tambourine", "percussion"),
    55: ("Splash Cymbal", "cymbal"),
    56: ("Cowbell", "percussion"),
    57: ("Crash Cymbal 2", "cymbal"),
    59: ("Ride Cymbal 2", "cymbal"),
    60: ("Hi Bongo", "percussion"),
    61: ("Low Bongo", "percussion"),
    62: ("Mute Hi Conga", "percussion"),
    63: ("Open Hi Conga", "percussion"),
    64: ("Low Conga", "percussion"),
    65: ("High Timbale", "percussion"),
    66: ("Low Timbale", "percussion"),
    67: ("High Agogo", "percussion"),
    68: ("Low Agogo", "percussion"),
    69: ("Cabasa", "percussion"),
    70: ("Maracas", "percussion"),
    73: ("Short Guiro", "percussion"),
    74: ("Long Guiro", "percussion"),
    75: ("Claves", "percussion"),
    76: ("Hi Wood Block", "percussion"),
    77: ("Low Wood Block", "percussion"),
    78: ("Mute Cuica", "percussion"),
    79: ("Open Cuica", "percussion"),
    80: ("Mute Triangle", "percussion"),
    81: ("Open Triangle", "percussion"),
    82: ("Shaker", "percussion"),
}
# The AVL kits use their own key map (after the plugin's note names): 40 is the snare edge,
# 43/47 tom edges, 46 a half-open hi-hat (labelled open), 48 a hi-hat swish (left out as
# neither open nor closed), 50/52/58 cymbal chokes, 59 the ride shank, 60 a third crash and
# 61 maracas. Each label is checked against a word in the names of the samples on that key.
AVL_NOTES = {
    36: ("kick", "kick"),
    37: ("percussion", "stick"),
    38: ("snare", "snare"),
    39: ("clap", "clap"),
    40: ("snare", "snareedge"),
    41: ("tom", "tom"),
    42: ("closed_hat", "hatcl"),
    43: ("tom", "tom"),
    44: ("closed_hat", "hatpe"),
    45: ("tom", "tom"),
    46: ("open_hat", "hatse"),
    47: ("tom", "tom"),
    49: ("cymbal", "crash"),
    50: ("cymbal", "crash"),
    51: ("cymbal", "ride"),
    52: ("cymbal", "ride"),
    53: ("cymbal", "ride"),
    54: ("percussion", "tambourine"),
    55: ("cymbal", "splash"),
    56: ("percussion", "cowbell"),
    57: ("cymbal", "crash"),
    58: ("cymbal", "crash"),
    59: ("cymbal", "ride"),
    60: ("cymbal", "paiste"),
    61: ("percussion", "maraca"),
}
AVL_VELOCITIES = (20, 40, 65, 90, 120)  # one per recorded layer (1-26, 27-52, ..., 103-127)
TIMGM_DRUM_VELOCITIES = (50, 100, 127)
# Where TimGM6mb's kits depart from the General MIDI names: the brush kit plays brush hits
# on 38-40 (the swirl on 40 is a noise sample, left out), and a timpani stands in for the
# orchestra kit's bass drum. Keys that also sound a bass drum sample are dropped in code.
TIMGM_KIT_FIXES = {
    ("Brush", 38): ("Brush Tap", "snare"),
    ("Brush", 39): ("Brush Slap", "snare"),
    ("Brush", 40): None,
    ("Orchestra", 36): None,
}
# General MIDI program ranges -> label; timpani (47), orchestra hit (55) and the
# percussive programs 112-119 are left out.
PROGRAM_LABELS = (
    (0, 31, "keys"),
    (32, 39, "bass"),
    (40, 41, "lead"),
    (42, 42, "pad"),
    (43, 43, "bass"),
    (44, 44, "pad"),
    (45, 46, "keys"),
    (48, 51, "pad"),
    (52, 54, "vocal"),
    (56, 87, "lead"),
    (88, 95, "pad"),
    (96, 103, "fx"),
    (104, 108, "keys"),
    (109, 111, "lead"),
    (120, 127, "fx"),
)
# Per tonal label: lowest and highest MIDI note to play, and how long the key is held.
TONE_STYLE = {
    "keys": (48, 84, 1.0),
    "bass": (28, 52, 0.8),
    "lead": (60, 84, 1.0),
    "pad": (48, 72, 2.5),
    "vocal": (55, 76, 2.5),
    "fx": (60, 60, 2.0),
}
RELEASE_SECONDS = 3.0
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
class Example:
    """One labelled one-shot: a WAV file plus the name and folder it would have in a library."""

    path: Path
    source: str
    label: str
    name: str
    folder: str


@dataclass(frozen=True)
class Note:
    """One note to render from a SoundFont and how to file the result."""

    program: int
    key: int
    velocity: int
    hold: float  # seconds between note on and note off
    label: str
    name: str
    folder: str


def note_name(key: int) -> str:
    """MIDI key as a note name, with middle C (60) as C4."""
    return f"{NOTE_NAMES[key % 12]}{key // 12 - 1}"


def program_label(program: int) -> str | None:
    """Category of a General MIDI melodic program, or None when it is left out."""
    return next((label for low, high, label in PROGRAM_LABELS if low <= program <= high), None)


# --- packages --------------------------------------------------------------------------


def fetch_packages(cache_dir: Path) -> Path:
    """Download and unpack the Debian packages once; return the unpacked root."""
    debs, root = cache_dir / "debs", cache_dir / "extracted"
    debs.mkdir(parents=True, exist_ok=True)
    missing = [package for package in PACKAGES if not any(debs.glob(f"{package}_*.deb"))]
    if missing and subprocess.run(["apt-get", "download", *missing], cwd=debs).returncode:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "download", *missing], cwd=debs, check=True)
    for package in PACKAGES:
        marker = root / f".{package}.unpacked"
        if not marker.exists():
            deb = sorted(debs.glob(f"{package}_*.deb"))[-1]
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
            marker.touch()
    return root


def ensure_fluidsynth() -> str:
    """Path of the fluidsynth command, installing Debian's package when it is missing."""
    if not shutil.which("fluidsynth"):
        install = ["apt-get", "install", "-y", "-qq", "fluidsynth"]
        if subprocess.run(install, stdout=subprocess.DEVNULL).returncode:
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(install, stdout=subprocess.DEVNULL, check=True)
    return shutil.which("fluidsynth") or "fluidsynth"


# --- audio -----------------------------------------------------------------------------


def trim(audio: np.ndarray) -> np.ndarray | None:
    """Cut silence before the attack and the tail below -60 dB; None for a silent render."""
    level = np.abs(audio).max(axis=1)
    peak = float(level.max(initial=0.0))
    if peak < SILENT_PEAK:
        return None
    start = max(0, int(np.argmax(level >= peak * ONSET_RATIO)) - int(0.003 * RATE))
    end = int(np.flatnonzero(level >= peak * TAIL_RATIO)[-1]) + 1
    capped = end - start > MAX_SECONDS * RATE
    out = audio[start : min(end, start + int(MAX_SECONDS * RATE))].copy()
    # A short fade keeps the cut click-free; a longer one where the 6 s cap cuts a sound.
    fade = min(len(out), int((0.05 if capped else 0.005) * RATE))
    out[len(out) - fade :] *= np.linspace(1.0, 0.0, fade, dtype=out.dtype)[:, None]
    return out


def to_pcm(audio: np.ndarray) -> np.ndarray:
    """16-bit samples, mono when both channels are equal, scaled down only if they would clip."""
    if audio.shape[1] == 2 and np.array_equal(audio[:, 0], audio[:, 1]):
        audio = audio[:, :1]
    peak = float(np.abs(audio).max())
    if peak > 0.999:
        audio = audio * (0.999 / peak)
    return np.round(audio * 32767).astype(np.int16)


def write_wav(path: Path, pcm: np.ndarray) -> None:
    """Write 44.1 kHz 16-bit PCM, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, pcm, RATE, subtype="PCM_16")


def safe_file_name(name: str) -> str:
    """A name usable as a file name on any system (slashes and the like replaced)."""
    return re.sub(r'[/\\:*?"<>|]', "-", name)


# --- SoundFonts ------------------------------------------------------------------------


def _riff_chunks(data: bytes, start: int, end: int):
    while start + 8 <= end:
        chunk_id, size = struct.unpack_from("<4sI", data, start)
        yield chunk_id, start + 8, size
        start += 8 + size + (size & 1)


def _zones(bags: list, gens: list, first: int, last: int):
    for bag in range(first, last):
        yield dict(gens[bags[bag][0] : bags[bag + 1][0]])


def _key_range(generators: dict) -> range:
    # Generator 43 packs the lowest key in its low byte and the highest in its high byte.
    packed = generators.get(43, 127 << 8)
    return range(packed & 0xFF, (packed >> 8) + 1)


def sf2_presets(path: Path) -> dict[tuple[int, int], tuple[str, dict[int, set[str]]]]:
    """Map (bank, program) to the preset's name and, per key, the names of the samples it plays."""
    data = path.read_bytes()
    hydra = {}
    for chunk_id, offset, size in _riff_chunks(data, 12, len(data)):
        if chunk_id == b"LIST" and data[offset : offset + 4] == b"pdta":
            for sub_id, sub_offset, sub_size in _riff_chunks(data, offset + 4, offset + size):
                hydra[sub_id] = data[sub_offset : sub_offset + sub_size]

    def records(chunk_id: bytes, layout: str) -> list:
        return list(struct.iter_unpack(layout, hydra[chunk_id]))

    def text(raw: bytes) -> str:
        return raw.split(b"\0")[0].decode("latin-1").strip()

    phdr, pbag, pgen = (
        records(b"phdr", "<20sHHHIII"),
        records(b"pbag", "<HH"),
        records(b"pgen", "<HH"),
    )
    inst, ibag, igen = records(b"inst", "<20sH"), records(b"ibag", "<HH"), records(b"igen", "<HH")
    samples = [text(record[0]) for record in records(b"shdr", "<20sIIIIIBbHH")]
    presets = {}
    for index, (name, program, bank, first_bag, *_) in enumerate(phdr[:-1]):
        keys: dict[int, set[str]] = {}
        for zone in _zones(pbag, pgen, first_bag, phdr[index + 1][3]):
            if 41 not in zone:  # a global zone: no instrument
                continue
            instrument = zone[41]
            bags = (inst[instrument][1], inst[instrument + 1][1])
            for instrument_zone in _zones(ibag, igen, *bags):
                if 53 in instrument_zone:
                    shared = set(_key_range(zone)) & set(_key_range(instrument_zone))
                    for key in shared:
                        keys.setdefault(key, set()).add(samples[instrument_zone[53]])
        presets[(bank, program)] = (text(name), keys)
    return presets


def _varlen(value: int) -> bytes:
    out = [value & 0x7F]
    while value > 0x7F:
        value >>= 7
        out.append(0x80 | (value & 0x7F))
    return bytes(reversed(out))


def midi_file(events: list[tuple[int, bytes]]) -> bytes:
    """A format-0 standard MIDI file; event times are in milliseconds."""
    # 1000 ticks per quarter note at 60 bpm (1,000,000 us per quarter): one tick per ms.
    track, now = bytearray(b"\x00\xff\x51\x03" + (1_000_000).to_bytes(3, "big")), 0
    for tick, message in sorted(events, key=lambda event: event[0]):
        track += _varlen(tick - now) + message
        now = tick
    track += b"\x00\xff\x2f\x00"
    return (
        b"MThd"
        + struct.pack(">IHHH", 6, 0, 1, 1000)
        + b"MTrk"
        + struct.pack(">I", len(track))
        + track
    )


def render_notes(
    fluidsynth: str, sf2: Path, channel: int, notes: list[Note], stem: Path
) -> list[np.ndarray | None]:
    """Render notes one after another in one fluidsynth run; return each one trimmed."""
    events, slots, now = [], [], 100
    if channel != 9:  # channel 10 (index 9) starts on the drum bank, 128; others need bank 0
        events.append((0, bytes([0xB0 | channel, 0, 0])))
    for note in notes:
        keep_ms = round(min(note.hold + RELEASE_SECONDS, MAX_SECONDS) * 1000)
        events += [
            (now - 50, bytes([0xC0 | channel, note.program])),
            (now, bytes([0x90 | channel, note.key, note.velocity])),
            (now + round(note.hold * 1000), bytes([0x80 | channel, note.key, 0])),
            # All Sound Off, so nothing of this note reaches the next one's slot.
            (now + keep_ms + 20, bytes([0xB0 | channel, 120, 0])),
        ]
        slots.append((now, now + keep_ms))
        now += keep_ms + 100
    stem.with_suffix(".mid").write_bytes(midi_file(events))
    command = [fluidsynth, "-n", "-i", "-q", "-g", "1.0", "-r", str(RATE), "-R", "0", "-C", "0"]
    command += ["-O", "float", "-T", "wav", "-F", str(stem.with_suffix(".wav"))]
    run = subprocess.run([*command, str(sf2), str(stem.with_suffix(".mid"))], capture_output=True)
    if run.returncode:
        raise RuntimeError(
            f"fluidsynth failed on {sf2.name}: {run.stderr.decode(errors='replace')}"
        )
    audio, _ = soundfile.read(stem.with_suffix(".wav"), dtype="float32", always_2d=True)
    stem.with_suffix(".wav").unlink()
    return [trim(audio[start * RATE // 1000 : end * RATE // 1000]) for start, end in slots]


def render_source(
    cache_dir: Path, source: str, sf2: Path, channel: int, notes: list[Note]
) -> list[Example]:
    """Render notes in batches across the cores; keep the audible ones, each sound once."""
    fluidsynth = ensure_fluidsynth()
    # 40 notes of at most 6 s make a float render of about 90 MB, one per core at a time.
    batches = [notes[i : i + 40] for i in range(0, len(notes), 40)]
    with (
        tempfile.TemporaryDirectory(dir=cache_dir) as work,
        ThreadPoolExecutor(os.cpu_count() or 2) as pool,
    ):
        jobs = [
            pool.submit(render_notes, fluidsynth, sf2, channel, batch, Path(work) / f"batch{i}")
            for i, batch in enumerate(batches)
        ]
        rendered = [audio for job in jobs for audio in job.result()]
    examples, seen, silent, duplicates = [], set(), [], 0
    for note, audio in zip(notes, rendered, strict=True):
        if audio is None:
            silent.append(f"{note.folder}/{note.name}")
            continue
        pcm = to_pcm(audio)
        # Hashed from the first sound on: notes start on fluidsynth's 64-frame blocks, so
        # equal sounds can differ in how much silence precedes them.
        digest = hashlib.sha1(pcm[np.flatnonzero(pcm.any(axis=1))[0] :].tobytes()).digest()
        if digest in seen:  # kits that reuse a sound unchanged would only repeat it
            duplicates += 1
            continue
        seen.add(digest)
        example = example_at(cache_dir, source, note.label, note.name, note.folder)
        write_wav(example.path, pcm)
        examples.append(example)
    print(
        f"{source}: {len(examples)} rendered, {duplicates} duplicates dropped,"
        f" {len(silent)} silent ({', '.join(sorted(set(silent))) or 'none'})",
        file=sys.stderr,
    )
    return examples


def avl_instruments(sf2: Path) -> dict[int, str]:
    """Key -> instrument name (as its samples are named) for each AVL key with a category."""
    _preset_name, keys = sf2_presets(sf2)[(0, 0)]  # each AVL file holds one kit: bank 0, program 0
    instruments = {}
    for key, (_label, word) in AVL_NOTES.items():
        # Sample names look like "38-PearlSnare-3": key, instrument, velocity layer.
        stems = {re.sub(r"^\d+-|-\d*$", "", sample) for sample in keys.get(key, ())}
        if any(word in stem.lower() for stem in stems):
            instruments[key] = max(stems, key=len)  # the least truncated of the names
        else:
            print(f"{sf2.name}: key {key} plays {sorted(stems)}, not a {word}", file=sys.stderr)
    return instruments


def avl_notes(sf2: Path, known: Collection[str] = ()) -> list[Note]:
    """The AVL kit's keys at one velocity per layer, leaving out instruments in `known`."""
    folder = sf2_presets(sf2)[(0, 0)][0].replace("_", " ")
    notes, names = [], set()
    for key, instrument in avl_instruments(sf2).items():
        if instrument in known:
            continue
        stem = f"{instrument} {key}" if instrument in names else instrument
        names.add(stem)
        for velocity in AVL_VELOCITIES:
            name = f"{stem} v{velocity}.wav"
            notes.append(Note(0, key, velocity, MAX_SECONDS, AVL_NOTES[key][0], name, folder))
    return notes


def timgm_drum_notes(sf2: Path) -> list[Note]:
    """Every bank-128 kit's keys 35-82 that have a drum category, at three velocities."""
    notes, heard = [], set()
    for (bank, program), (kit, keys) in sorted(sf2_presets(sf2).items()):
        if bank != 128:
            continue
        for key in sorted(set(keys) & set(GM_DRUMS)):
            named = TIMGM_KIT_FIXES.get((kit, key), GM_DRUMS[key])
            # One kit's zone stretches its bass drum over keys 36-41: such mixes are not
            # clean examples of the key's category.
            if named is None or (named[1] != "kick" and any("Bass Drum" in s for s in keys[key])):
                continue
            # The kits share one small sample set; the same samples on the same key again
            # differ at most in level or envelope, so only the first kit (by program) keeps them.
            if (key, frozenset(keys[key])) in heard:
                continue
            heard.add((key, frozenset(keys[key])))
            for velocity in TIMGM_DRUM_VELOCITIES:
                name = f"{named[0]} v{velocity}.wav"
                notes.append(Note(program, key, velocity, MAX_SECONDS, named[1], name, kit))
    return notes


def timgm_tone_notes(sf2: Path) -> list[Note]:
    """Each melodic program with a category at a few notes across its label's range."""
    notes = []
    for (bank, program), (preset_name, _keys) in sorted(sf2_presets(sf2).items()):
        label = program_label(program)
        if bank != 0 or label is None:
            continue
        low, high, hold = TONE_STYLE[label]
        for key in sorted({round(k) for k in np.linspace(low, high, 4)}):
            name = f"{preset_name} {note_name(key)}.wav"
            notes.append(Note(program, key, 100, hold, label, name, "TimGM6mb"))
    return notes


# --- recorded samples (freepats, LMMS) ---------------------------------------------------


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


def example_at(cache_dir: Path, source: str, label: str, name: str, folder: str) -> Example:
    """An example whose WAV file goes under cache_dir/wav/<source>/<folder>/."""
    path = cache_dir / "wav" / source / folder / f"{Path(safe_file_name(name)).stem}.wav"
    return Example(path, source, label, name, folder)


def save_recording(audio: np.ndarray, rate: int, example: Example) -> Example | None:
    """Resample to 44.1 kHz, trim and write one recorded sample; None if it is silent."""
    audio = audio.reshape(len(audio), -1).astype(np.float32)
    if rate != RATE:
        audio = soxr.resample(audio, rate, RATE).astype(np.float32).reshape(-1, audio.shape[1])
    trimmed = trim(audio)
    if trimmed is None:
        return None
    write_wav(example.path, to_pcm(trimmed))
    return example


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


# --- build -----------------------------------------------------------------------------

FIELDS = ("path", "source", "label", "name", "folder")


def write_rows(path: Path, examples: list[Example], base: Path | None = None) -> None:
    """Write examples as CSV; paths relative to `base` when given, else absolute."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        for example in examples:
            where = example.path.relative_to(base) if base else example.path
            writer.writerow([where, example.source, example.label, example.name, example.folder])


def read_rows(path: Path, base: Path) -> list[Example]:
    """Examples from a CSV written by write_rows."""
    with path.open(newline="") as handle:
        return [
            Example(base / row["path"], row["source"], row["label"], row["name"], row["folder"])
            for row in csv.DictReader(handle)
        ]


def cached(cache_dir: Path, unit: str, produce: Callable[[], list[Example]]) -> list[Example]:
    """Examples of one unit of work, produced only when its record or a file is missing."""
    record = cache_dir / "wav" / f"{unit}.csv"
    if record.exists():
        examples = read_rows(record, cache_dir)
        if all(example.path.exists() for example in examples):
            return examples
    started = time.monotonic()
    examples = produce()
    record.parent.mkdir(parents=True, exist_ok=True)
    write_rows(record, examples, cache_dir)
    print(
        f"{unit}: {len(examples)} examples in {time.monotonic() - started:.1f} s", file=sys.stderr
    )
    return examples


def build(cache_dir: Path) -> list[Example]:
    """Fetch, unpack and render whatever is missing under cache_dir; write manifest.csv."""
    cache_dir = cache_dir.expanduser().resolve()
    cache_dir.mkdir(parents=True, exist_ok=True)
    root = fetch_packages(cache_dir)
    black_pearl = root / SF2_DIR / "Black_Pearl_4_LV2.sf2"
    red_zeppelin = root / SF2_DIR / "Red_Zeppelin_4_LV2.sf2"
    timgm = root / SF2_DIR / "TimGM6mb.sf2"
    # AVL kits are a single bank-0 preset, so they play on a melodic channel; TimGM6mb's
    # kits are bank 128 and play on the drum channel (10, index 9). The two AVL kits share
    # their hand percussion and several hi-hats and cymbals (same sample names, the same
    # recordings but for a few samples' offset), so Red Zeppelin adds only its own.
    units = {
        "avl_black_pearl": lambda: render_source(
            cache_dir, "avl_black_pearl", black_pearl, 0, avl_notes(black_pearl)
        ),
        "avl_red_zeppelin": lambda: render_source(
            cache_dir,
            "avl_red_zeppelin",
            red_zeppelin,
            0,
            avl_notes(red_zeppelin, known=set(avl_instruments(black_pearl).values())),
        ),
        "timgm6mb_drums": lambda: render_source(
            cache_dir, "timgm6mb", timgm, 9, timgm_drum_notes(timgm)
        ),
        "timgm6mb_tones": lambda: render_source(
            cache_dir, "timgm6mb", timgm, 0, timgm_tone_notes(timgm)
        ),
        "freepats": lambda: freepats_examples(cache_dir, root),
        "lmms": lambda: lmms_examples(cache_dir, root),
    }
    examples = [
        example for unit, produce in units.items() for example in cached(cache_dir, unit, produce)
    ]
    write_rows(cache_dir / "manifest.csv", examples)
    return examples


def count_table(examples: list[Example]) -> str:
    """Counts per label (rows) and source (columns), with totals."""
    counts = Counter((example.label, example.source) for example in examples)
    width = max(len(source) for source in SOURCES) + 1
    lines = [f"{'label':<11}" + "".join(f"{s:>{width}}" for s in SOURCES) + f"{'total':>7}"]
    for label in LABELS:
        cells = [counts[(label, source)] for source in SOURCES]
        lines.append(f"{label:<11}" + "".join(f"{c:>{width}}" for c in cells) + f"{sum(cells):>7}")
    totals = [sum(counts[(label, source)] for label in LABELS) for source in SOURCES]
    lines.append(f"{'total':<11}" + "".join(f"{t:>{width}}" for t in totals) + f"{sum(totals):>7}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help=f"default {DEFAULT_CACHE}"
    )
    args = parser.parse_args()
    started = time.monotonic()
    examples = build(args.cache)
    print(count_table(examples))
    print(
        f"{len(examples)} examples in {args.cache.expanduser()} ({time.monotonic() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()

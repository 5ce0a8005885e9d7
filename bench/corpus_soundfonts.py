"""Drum kits and instruments rendered from SoundFonts (AVL kits, TimGM6mb) with fluidsynth, note by note.

The SoundFont is read here only for its presets and key ranges; fluidsynth plays it.
"""

import hashlib
import os
import re
import struct
import subprocess
import sys
import tempfile
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
from corpus_common import (
    MAX_SECONDS,
    RATE,
    Example,
    ensure_fluidsynth,
    example_at,
    to_pcm,
    trim,
    write_wav,
)

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

"""Loops and sustained sounds with a known tempo, rendered from MIDI patterns with fluidsynth.

Three groups, each file with its true tempo:

- drum loops: seventeen pattern styles (rock, boom-bap, house, breakbeats,
  shuffles, jazz swing, half-time, trap, fills, phrases opening on a crash ...)
  played on the AVL kits and TimGM6mb's drum kits, at 60-190 BPM, 1-8 bars,
  with humanised velocity and timing, some cut from a longer render (the
  previous bar still ringing) and some with a tail;
- tonal loops: arpeggios, stabs, chords and bass lines on TimGM6mb instruments;
- pulseless sounds: pads, strings, choirs and organs holding a note or chord
  (tempo None).

Everything is seeded, so a build gives the same files.  ``build(cache_dir)``
returns the manifest: one dict per file with its path and its truth.
"""

import json
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import soundfile
from corpus_common import RATE, ensure_fluidsynth, fetch_packages, to_pcm, write_wav
from corpus_soundfonts import SF2_DIR, midi_file

VERSION = 5
DEFAULT_CACHE = Path.home() / ".cache" / "sp404site" / "tempo-corpus"
VARIANTS_PER_KIT = 5  # drum loops per (style, kit)
TONAL_LOOPS = 160
PULSELESS = 120
MAX_LOOP_SECONDS = 24.0
RELEASE_MS = 2500

GM_KEYS = {
    "kick": 36, "snare": 38, "rim": 37, "clap": 39, "hat": 42, "pedal": 44, "open": 46,
    "ride": 51, "bell": 53, "crash": 49, "tom1": 48, "tom2": 45, "tom3": 41, "tamb": 54,
}  # fmt: skip
AVL_KEYS = {**GM_KEYS, "tom1": 45, "tom2": 47, "tom3": 41}
# (source, kit name, SoundFont file, program on bank 128 / the AVL file's only program)
KITS = (
    ("avl", "Black Pearl", "Black_Pearl_4_LV2.sf2", 0, AVL_KEYS),
    ("avl", "Red Zeppelin", "Red_Zeppelin_4_LV2.sf2", 0, AVL_KEYS),
    ("timgm", "Standard", "TimGM6mb.sf2", 0, GM_KEYS),
    ("timgm", "Room", "TimGM6mb.sf2", 8, GM_KEYS),
    ("timgm", "Power", "TimGM6mb.sf2", 16, GM_KEYS),
    ("timgm", "Electronic", "TimGM6mb.sf2", 24, GM_KEYS),
    ("timgm", "TR 808", "TimGM6mb.sf2", 25, GM_KEYS),
    ("timgm", "Jazz", "TimGM6mb.sf2", 32, GM_KEYS),
    ("timgm", "Brush", "TimGM6mb.sf2", 40, GM_KEYS),
)
VELOCITY = {"X": 118, "x": 96, "o": 72, "g": 38}  # accent, normal, soft, ghost


@dataclass(frozen=True)
class Style:
    """A drum pattern: per bar, per instrument, one character per grid step."""

    bars: tuple[dict[str, str], ...]
    tempo: tuple[int, int]
    grid: int = 16  # steps per bar: 16 = sixteenths, 12 = eighth-note triplets
    swing: float = 0.0  # delay of every second step, as a share of a step
    fill: bool = False  # the loop's last bar ends with a tom fill


EIGHTHS = "x.o.x.o.x.o.x.o."
STYLES = {
    "rock": Style(({"kick": "x.......x.x.....", "snare": "....X.......X...", "hat": EIGHTHS},), (80, 170)),
    "rock16": Style(({"kick": "x.....x.x.x.....", "snare": "....X.......X...", "hat": "Xooox.oox.ooXooo"},), (70, 130)),
    "boombap": Style(({"kick": "x......x..x.....", "snare": "....X.......X..g", "hat": EIGHTHS},
                      {"kick": "x.x.......x..x..", "snare": "....X.......X...", "hat": EIGHTHS}), (78, 102), swing=0.2),
    "house": Style(({"kick": "x...x...x...x...", "clap": "....x.......x...", "open": "..o...o...o...o.",
                     "hat": "o.o.o.o.o.o.o.o."},), (115, 130)),
    "techno": Style(({"kick": "X...X...X...X...", "open": "..x...x...x...x.", "rim": "......o.......o."},), (120, 145)),
    "breakbeat": Style(({"kick": "x.x.......xx....", "snare": "....X..g.g..X..g", "ride": EIGHTHS},
                        {"kick": "x.x.......x.....", "snare": ".g.gX..g.g..X..g", "ride": EIGHTHS}), (85, 175)),
    "funk": Style(({"kick": "x..x..x...x..x..", "snare": "..g.X..g.g.gX.g.", "hat": "XoooXoooXoooXooo"},), (88, 118)),
    "shuffle": Style(({"kick": "x.....x.x...", "snare": "...X.....X..", "hat": "x.ox.ox.ox.o"},), (70, 140), grid=12),
    "swing": Style(({"ride": "x..x.ox..x.o", "pedal": "...x.....x..", "kick": "g.....g.....",
                     "snare": ".......g...."},), (100, 190), grid=12),
    "halftime": Style(({"kick": "x.........x.....", "snare": "........X.......", "hat": EIGHTHS},), (130, 175)),
    "trap": Style(({"kick": "x......x..x...x.", "clap": "........X.......", "hat": "xoxoxoxoxoxxxoxo"},
                   {"kick": "x.....x...x.....", "clap": "........X.......", "hat": "xoxoxoxoxoxoxxxx"}), (130, 160)),
    "dnb": Style(({"kick": "x.........x.....", "snare": "....X.......X...", "hat": EIGHTHS},
                  {"kick": "x.........x..x..", "snare": "....X.......X...", "hat": EIGHTHS}), (160, 178)),
    "rock-fill": Style(({"kick": "x.......x.x.....", "snare": "....X.......X...", "hat": EIGHTHS},), (80, 160), fill=True),
    "funk-fill": Style(({"kick": "x..x..x...x..x..", "snare": "..g.X..g.g.gX.g.", "hat": "XoooXoooXoooXooo"},),
                       (88, 118), fill=True),
    "reggae": Style(({"kick": "........x.......", "rim": "........X.......", "hat": "x.o.x.o.x.o.x.o."},), (70, 90),
                    swing=0.15),
}  # fmt: skip
# A phrase opens with a crash on the 1: it marks the bar, and must not pull the beat down.
# Added later; they render after every other file, so that those stay as they were.
PHRASE_STYLES = {
    "trance": Style(({"kick": "X...X...X...X...", "clap": "....x.......x...", "open": "..x...x...x...x.",
                      "crash": "X..............."},
                     {"kick": "X...X...X...X...", "clap": "....x.......x...", "open": "..x...x...x...x."}),
                    (128, 145)),
    "techno-crash": Style(({"kick": "X...X...X...X...", "open": "..x...x...x...x.", "crash": "X..............."},
                           {"kick": "X...X...X...X...", "open": "..x...x...x...x."}), (125, 150)),
}  # fmt: skip
ALL_STYLES = {**STYLES, **PHRASE_STYLES}
# Sixteenths down the toms over the second half of the bar, the snare leading in.
FILL = {
    "snare": "........xx......",
    "tom1": "..........xx....",
    "tom2": "............xx..",
    "tom3": "..............xx",
}
TONAL_PROGRAMS = (0, 4, 7, 11, 12, 16, 24, 25, 33, 38, 45, 80, 81, 87, 105)
PULSELESS_PROGRAMS = (48, 49, 50, 51, 52, 53, 54, 88, 89, 90, 91, 92, 94, 95, 16, 19, 42)
TONAL_FIGURES = ("arp8", "arp16", "stabs", "chords", "bass", "skank")


@dataclass
class Take:
    """One file to render: its MIDI events (ms from the loop's start) and its truth."""

    group: str  # drum, tonal or pulseless
    source: str
    kit: str
    style: str
    bpm: float | None
    bars: int
    sf2: str
    channel: int
    events: list = field(default_factory=list)  # (ms, message bytes)
    length_ms: float = 0.0  # from the loop's start to its cut
    lead_ms: float = 0.0  # rendered before the loop's start (cut from a longer render)
    name: str = ""


def _bar_hits(style: Style, bar: dict[str, str], keys, rng, bar_ms, jitter_ms):
    step_ms = bar_ms / style.grid
    hits = []
    for role, steps in bar.items():
        for step, mark in enumerate(steps):
            if mark == ".":
                continue
            swing = style.swing * step_ms if step % 2 else 0.0
            at = step * step_ms + swing + rng.normal(0, jitter_ms)
            velocity = int(np.clip(VELOCITY[mark] + rng.normal(0, 8), 12, 127))
            hits.append((max(at, 0.0), keys[role], velocity))
    return hits


def _with_note_offs(hits, channel: int) -> list:
    # A note-off releases every voice of its key, so it goes just before the key's next hit.
    events = []
    for key in {key for _at, key, _velocity in hits}:
        starts = sorted((at, velocity) for at, k, velocity in hits if k == key)
        for (at, velocity), following in zip(starts, [*starts[1:], (np.inf, 0)], strict=True):
            off = min(at + 1500, following[0] - 1)
            events += [
                (at, bytes([0x90 | channel, key, velocity])),
                (off, bytes([0x80 | channel, key, 0])),
            ]
    return events


def drum_take(index: int, style_name: str, kit) -> Take:
    """A drum loop of one style on one kit; the rest of its shape is drawn from a seed."""
    rng = np.random.default_rng(1000 + index)
    source, kit_name, sf2, program, keys = kit
    style = ALL_STYLES[style_name]
    bpm = float(rng.integers(*style.tempo, endpoint=True))
    if rng.random() < 0.2:
        bpm = round(bpm + rng.uniform(-0.5, 0.5), 1)
    bar_ms = 240_000 / bpm
    bars = int(rng.choice([1, 2, 4, 8], p=[0.3, 0.35, 0.25, 0.1]))
    while bars > 1 and bars * bar_ms > MAX_LOOP_SECONDS * 1000:
        bars //= 2
    jitter_ms = float(rng.choice([0.0, 2.0, 5.0]))
    cut = rng.random() < 0.5  # the loop cut from a render that played its last bar before it
    # AVL kits are one bank-0 preset, played on a melodic channel; TimGM6mb's kits are
    # bank 128 on the drum channel (index 9).
    channel = 0 if source == "avl" else 9
    take = Take("drum", source, kit_name, style_name, bpm, bars, sf2, channel)
    take.name = f"drum-{index:04d}"
    first = -bar_ms if cut else 0.0
    take.events += [(first - 90, bytes([0xB0 | channel, 0, 0 if channel == 0 else 127]))]
    take.events += [(first - 60, bytes([0xC0 | channel, program]))]
    hits = []
    for bar in range(-1 if cut else 0, bars):
        pattern = dict(style.bars[bar % len(style.bars)])
        if style.fill and bar == bars - 1:
            half = style.grid // 2  # the last bar's second half becomes a tom fill
            # The groove plays on up to it: the snare on 2 stays.
            pattern = {role: steps[:half] + "." * half for role, steps in pattern.items()}
            for role, steps in FILL.items():
                pattern[role] = pattern.get(role, "." * style.grid)[:half] + steps[half:]
        if bar == 0 and rng.random() < 0.3:
            pattern["crash"] = "x" + "." * (style.grid - 1)
        for at, key, velocity in _bar_hits(style, pattern, keys, rng, bar_ms, jitter_ms):
            hits.append((bar * bar_ms + at, key, velocity))
    take.events += _with_note_offs(hits, channel)
    take.length_ms = bars * bar_ms
    take.lead_ms = bar_ms + 100 if cut else 100
    tail = rng.random() < 0.4
    take.length_ms += float(rng.uniform(0.05, 0.3)) * 1000 if tail else 0.0
    return take


def _chord_notes(root: int, rng) -> list[int]:
    third = int(rng.choice([3, 4]))
    return [root, root + third, root + 7] + ([root + 10] if rng.random() < 0.4 else [])


def tonal_take(index: int) -> Take:
    """A melodic loop: an arpeggio, stabs, held chords per beat or a bass line."""
    rng = np.random.default_rng(5000 + index)
    program = int(TONAL_PROGRAMS[index % len(TONAL_PROGRAMS)])
    figure = TONAL_FIGURES[(index // len(TONAL_PROGRAMS)) % len(TONAL_FIGURES)]
    bpm = float(rng.integers(70, 171))
    bars = int(rng.choice([1, 2, 4], p=[0.3, 0.4, 0.3]))
    beat_ms = 60_000 / bpm
    take = Take("tonal", "timgm", f"program {program}", figure, bpm, bars, "TimGM6mb.sf2", 0)
    take.name = f"tonal-{index:04d}"
    take.events += [(-200, bytes([0xB0, 0, 0])), (-100, bytes([0xC0, program]))]
    base = 36 if figure == "bass" or program in (33, 38) else 57
    roots = [base + int(rng.choice([0, 5, 7, 9, 3, -2])) for _ in range(bars)]
    notes = []  # (beat, length in beats, key)
    for bar, root in enumerate(roots):
        chord = _chord_notes(root, rng)
        up = [*chord, chord[0] + 12]
        at = bar * 4
        if figure in ("arp8", "arp16"):
            per_beat = 2 if figure == "arp8" else 4
            notes += [
                (at + i / per_beat, 1 / per_beat, up[i % len(up)]) for i in range(4 * per_beat)
            ]
        elif figure == "stabs":
            notes += [(at + b, 0.25, key) for b in (0, 0.75, 1.5, 2.5, 3, 3.5) for key in chord]
        elif figure == "chords":
            notes += [(at + b, 0.8, key) for b in range(4) for key in chord]
        elif figure == "skank":
            notes += [(at + b + 0.5, 0.3, key) for b in range(4) for key in chord]
        else:
            bass_line = zip((0, 0.75, 1.5, 2, 3, 3.5), (0, 0, 12, 7, 0, 10), strict=True)
            notes += [(at + beat, 0.4, root + step) for beat, step in bass_line]
    for beat, length, key in notes:
        start = beat * beat_ms + rng.normal(0, 2)
        velocity = int(np.clip(90 + rng.normal(0, 10), 30, 127))
        take.events += [
            (start, bytes([0x90, key, velocity])),
            (start + length * beat_ms, bytes([0x80, key, 0])),
        ]
    take.length_ms = bars * 4 * beat_ms
    take.lead_ms = 300
    if rng.random() < 0.4:
        take.length_ms += float(rng.uniform(0.05, 0.3)) * 1000
    return take


def pulseless_take(index: int) -> Take:
    """A pad, string, choir or organ sound holding a note or chord: no pulse, so no tempo."""
    rng = np.random.default_rng(9000 + index)
    program = int(PULSELESS_PROGRAMS[index % len(PULSELESS_PROGRAMS)])
    seconds = float(rng.uniform(2.0, 12.0))
    shape = str(rng.choice(["note", "fifth", "chord", "changes"], p=[0.2, 0.2, 0.4, 0.2]))
    take = Take("pulseless", "timgm", f"program {program}", shape, None, 0, "TimGM6mb.sf2", 0)
    take.name = f"pulseless-{index:04d}"
    take.events += [(-200, bytes([0xB0, 0, 0])), (-100, bytes([0xC0, program]))]
    root = int(rng.integers(40, 64))
    # Held chords that change: two or three chords at irregular moments.
    changes = [0.0, *sorted(rng.uniform(0.25, 0.8, int(rng.integers(1, 3))) * seconds * 1000)]
    if shape != "changes":
        changes = [0.0]
    for number, start in enumerate(changes):
        end = changes[number + 1] if number + 1 < len(changes) else seconds * 1000 - 400
        chord_root = root + (int(rng.choice([0, 5, 7, -3])) if number else 0)
        keys = {"note": [chord_root], "fifth": [chord_root, chord_root + 7]}.get(shape)
        for key in keys or _chord_notes(chord_root, rng):
            velocity = int(rng.integers(60, 120))
            take.events += [(start, bytes([0x90, key, velocity])), (end, bytes([0x80, key, 0]))]
    take.length_ms = seconds * 1000
    take.lead_ms = 300
    return take


def all_takes() -> list[Take]:
    """Every file of the corpus, in a fixed order."""
    plan = [
        (style, kit) for style in ALL_STYLES for kit in KITS for _variant in range(VARIANTS_PER_KIT)
    ]
    drums = [drum_take(index, style, kit) for index, (style, kit) in enumerate(plan)]
    tonal = [tonal_take(index) for index in range(TONAL_LOOPS)]
    pulseless = [pulseless_take(index) for index in range(PULSELESS)]
    phrases = [take for take in drums if take.style in PHRASE_STYLES]
    return [take for take in drums if take.style in STYLES] + tonal + pulseless + phrases


def render_batch(fluidsynth: str, sf2: Path, takes: list[Take], stem: Path) -> list[np.ndarray]:
    """Render takes one after another in one fluidsynth run; return each one cut out."""
    events, slots, now = [], [], 0.0
    for take in takes:
        origin = now + take.lead_ms
        events += [(round(origin + at), message) for at, message in take.events]
        end = origin + take.length_ms
        for channel in (0, 9):  # All Sound Off, so nothing reaches the next take's slot.
            events.append((round(end + RELEASE_MS), bytes([0xB0 | channel, 120, 0])))
        slots.append((origin, end))
        now = end + RELEASE_MS + 200
    stem.with_suffix(".mid").write_bytes(midi_file(events))
    command = [fluidsynth, "-n", "-i", "-q", "-g", "0.6", "-r", str(RATE), "-R", "0", "-C", "0"]
    command += ["-O", "float", "-T", "wav", "-F", str(stem.with_suffix(".wav"))]
    subprocess.run(
        [*command, str(sf2), str(stem.with_suffix(".mid"))], capture_output=True, check=True
    )
    audio, _ = soundfile.read(stem.with_suffix(".wav"), dtype="float32", always_2d=True)
    stem.with_suffix(".wav").unlink()
    cuts = []
    for start, end in slots:
        piece = audio[round(start * RATE / 1000) : round(end * RATE / 1000)]
        fade = min(len(piece), int(0.003 * RATE))  # click-free end, as an editor's cut has
        piece[len(piece) - fade :] *= np.linspace(1.0, 0.0, fade, dtype=piece.dtype)[:, None]
        cuts.append(piece)
    return cuts


def build(cache_dir: Path | None = None) -> list[dict]:
    """Render the corpus once (or load it) and return its manifest."""
    cache_dir = Path(cache_dir or DEFAULT_CACHE)
    manifest_path = cache_dir / "loops" / "manifest.json"
    if manifest_path.exists():
        stored = json.loads(manifest_path.read_text())
        if stored.get("version") == VERSION:
            return stored["files"]
    sf2_dir = fetch_packages(cache_dir) / SF2_DIR
    fluidsynth = ensure_fluidsynth()
    takes = all_takes()
    batches = []
    for sf2 in sorted({take.sf2 for take in takes}):
        mine = [take for take in takes if take.sf2 == sf2]
        batches += [(sf2, mine[i : i + 24]) for i in range(0, len(mine), 24)]
    files = []
    with (
        tempfile.TemporaryDirectory(dir=cache_dir) as work,
        ThreadPoolExecutor(os.cpu_count() or 2) as pool,
    ):
        jobs = [
            (
                batch,
                pool.submit(render_batch, fluidsynth, sf2_dir / sf2, batch, Path(work) / f"b{i}"),
            )
            for i, (sf2, batch) in enumerate(batches)
        ]
        for batch, job in jobs:
            for take, audio in zip(batch, job.result(), strict=True):
                path = cache_dir / "loops" / take.group / f"{take.name}.wav"
                write_wav(path, to_pcm(audio))
                truth = {
                    k: v for k, v in asdict(take).items() if k not in ("events", "sf2", "channel")
                }
                files.append({**truth, "path": str(path)})
    files += lmms_beats(cache_dir)
    manifest_path.write_text(json.dumps({"version": VERSION, "files": files}, indent=1))
    return files


# LMMS's drum loops, with the bar count read off their onsets (eighth or sixteenth
# notes on an even grid of the file's length, kicks and snares repeating once or twice):
# tempo = 240 * bars / length.  jungle01's onsets do not fall on any whole-bar grid of
# its length (eighths 0.178 s apart in 2.78 s), so its tempo is not known and it is left out.
LMMS_BARS = {
    "909beat01": 2, "break01": 1, "break02": 1, "break03": 1, "electro_beat01": 2,
    "electro_beat02": 1, "house_loop01": 1, "rave_hihat01": 2,
    "rave_hihat02": 2, "rave_kick01": 2, "rave_kick02": 2, "rave_snare01": 2,
}  # fmt: skip


def lmms_beats(cache_dir: Path) -> list[dict]:
    """LMMS's beat loops as they ship, with the tempo their length and bar count give."""
    folder = fetch_packages(cache_dir) / "usr/share/lmms/samples/beats"
    files = []
    for path in sorted(folder.glob("*.ogg")):
        bars = LMMS_BARS.get(path.stem)
        if bars is None:
            continue
        bpm = round(240 * bars / soundfile.info(str(path)).duration, 2)
        files.append({"group": "drum", "source": "lmms", "kit": "lmms", "style": path.stem,
                      "bpm": bpm, "bars": bars, "length_ms": 0, "lead_ms": 0,
                      "name": path.stem, "path": str(path)})  # fmt: skip
    return files

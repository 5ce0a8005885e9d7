"""Tonal loops in known keys, played by real sampled instruments.

Usage: .venv/bin/python bench/corpus_keys.py [--cache DIR] [--per-key N]

Each loop is a chord progression typical of its mode, a melody, a bass line, an
arpeggio or a mix of them, 1-8 bars at 70-160 BPM, in one of the 24 keys (major and
minor equally often; minor takes its dominant from harmonic minor where the
progression has one, as music does). Three sources play them:

- timgm6mb: TimGM6mb's General MIDI programs, rendered from MIDI with fluidsynth;
- freepats: freepats' Gravis Ultrasound patches, played by the small sampler below
  (each note from the recorded sample nearest in pitch, resampled);
- lmms: LMMS's single-note instrument samples, played by the same sampler from the
  root pitch librosa's pYIN hears in them.

LMMS's own loops are left out: nothing says what key they are in. FluidR3,
musescore-general-soundfont, Hydrogen kits and Sonic Pi samples are never used here:
they are kept for independent evaluation. Everything is seeded, so a build is repeatable.
"""

import argparse
import csv
import math
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile
from corpus_common import RATE, ensure_fluidsynth, fetch_packages, to_pcm, write_wav
from corpus_recordings import read_audio, read_patch
from corpus_soundfonts import SF2_DIR, midi_file, sf2_presets

DEFAULT_CACHE = Path.home() / ".cache" / "sp404site" / "key-corpus"
# timgm6mb loops per key (freepats and LMMS play half as many each): 1,920 loops in all.
PER_KEY = 40
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
MAJOR = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR = (0, 2, 3, 5, 7, 8, 10)
HARMONIC_MINOR = (0, 2, 3, 5, 7, 8, 11)

# Scale degrees (0 = tonic); "h" marks a chord taken from harmonic minor (major V).
PROGRESSIONS = {
    "major": ((0, 3, 4, 0), (0, 4, 5, 3), (0, 5, 3, 4), (1, 4, 0, 0), (0, 3, 0, 4), (0, 2, 3, 4)),
    "minor": (
        (0, 3, "4h", 0),
        (0, 5, 2, 6),
        (0, 6, 5, "4h"),
        (0, 3, 4, 0),
        (0, 5, 3, "4h"),
        (0, 6, 5, 6),
    ),
}
PATTERNS = ("chords", "arpeggio", "melody", "bass", "melody+chords", "chords+bass", "full")
BARS = (1, 2, 2, 4, 4, 8)

# General MIDI families by program; timpani, FX and percussive programs are left out.
FAMILIES = (
    (0, 7, "piano"),
    (8, 15, "chromatic"),
    (16, 23, "organ"),
    (24, 31, "guitar"),
    (32, 39, "bass"),
    (40, 46, "strings"),
    (48, 55, "ensemble"),
    (56, 63, "brass"),
    (64, 71, "reed"),
    (72, 79, "pipe"),
    (80, 87, "lead"),
    (88, 95, "pad"),
    (104, 108, "ethnic"),
)
# The orchestra hit is itself a chord, and the bagpipe sounds a drone under every note.
NOT_PLAYED = {55, 109}
CHORD_FAMILIES = {"piano", "chromatic", "organ", "guitar", "strings", "ensemble", "pad"}
RANGES = {"bass": (28, 52), "chords": (48, 72), "melody": (60, 84)}

# LMMS samples holding one note, and the family each plays as.
LMMS_SAMPLES = {
    "instruments/piano01.ogg": "piano",
    "instruments/piano02.ogg": "piano",
    "instruments/harpsichord01.ogg": "piano",
    "instruments/church_organ01.ogg": "organ",
    "instruments/e_organ01.ogg": "organ",
    "instruments/steel_guitar01.ogg": "guitar",
    "instruments/cello01.ogg": "strings",
    "instruments/violin_pizzicato01.ogg": "strings",
    "instruments/flute01.ogg": "pipe",
    "instruments/trumpet01.ogg": "brass",
    "instruments/bassslap01.ogg": "bass",
    "basses/bass01.ogg": "bass",
    "basses/matrix1000_pluck01.ogg": "bass",
    "stringsnpads/heaven_strings01.ogg": "pad",
    "stringsnpads/juno_pad01.ogg": "pad",
    "stringsnpads/strings01.ogg": "strings",
}

FIELDS = ("path", "source", "tonic", "scale", "family", "instrument", "pattern", "bpm", "bars")


@dataclass(frozen=True)
class Loop:
    """One rendered loop and what it is."""

    path: str
    source: str
    tonic: str
    scale: str
    family: str
    instrument: str
    pattern: str
    bpm: float
    bars: int


@dataclass(frozen=True)
class Instrument:
    """Something that plays notes: a GM program, or recorded samples with their root keys."""

    name: str
    family: str
    program: int = 0
    samples: tuple = ()  # (root_key, audio, loop or None, rate) for the sampler


def family_of(program: int) -> str | None:
    return next((name for low, high, name in FAMILIES if low <= program <= high), None)


def chord_notes(tonic: int, scale: str, degree) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Triad pitch classes (from the tonic's octave up) and the scale the chord belongs to."""
    harmonic = isinstance(degree, str)
    degree = int(str(degree).rstrip("h"))
    steps = MAJOR if scale == "major" else HARMONIC_MINOR if harmonic else NATURAL_MINOR
    notes = tuple(tonic + steps[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4))
    return notes, tuple(tonic + step for step in steps)


def place(pitch: int, low: int, high: int) -> int:
    """The pitch moved by octaves into low..high."""
    while pitch < low:
        pitch += 12
    while pitch > high:
        pitch -= 12
    return pitch


def compose(rng, tonic: int, scale: str, pattern: str, bars: int) -> dict[str, list]:
    """Notes per part: (start beat, length in beats, MIDI key, velocity)."""
    progression = PROGRESSIONS[scale][rng.integers(len(PROGRESSIONS[scale]))]
    chords = list(progression) * max(1, bars // len(progression))
    beats_per_chord = 4 * bars / len(chords)
    parts = {part: [] for part in ("chords", "bass", "melody")}
    previous = tonic + 60 + 12 * int(rng.integers(0, 2)) - 12
    for index, degree in enumerate(chords):
        start = index * beats_per_chord
        triad, scale_notes = chord_notes(tonic, scale, degree)
        if "chords" in pattern or pattern == "full":
            stabs = rng.random() < 0.4
            step = 1.0 if stabs else beats_per_chord
            for beat in np.arange(start, start + beats_per_chord, step):
                for pitch in triad:
                    key = place(pitch + 60, *RANGES["chords"])
                    parts["chords"].append((beat, step * (0.6 if stabs else 0.95), key, 80))
        if "bass" in pattern or pattern == "full":
            fifth = rng.random() < 0.5
            for k, beat in enumerate(np.arange(start, start + beats_per_chord, 1.0)):
                pitch = triad[2 if fifth and k % 2 else 0]
                parts["bass"].append((beat, 0.9, place(pitch + 36, *RANGES["bass"]), 100))
        if pattern == "arpeggio":
            order = (0, 1, 2, 1) if rng.random() < 0.5 else (0, 1, 2, 3)
            for k, beat in enumerate(np.arange(start, start + beats_per_chord, 0.5)):
                pitch = triad[order[k % 4] % 3] + 12 * (order[k % 4] // 3)
                parts["melody"].append((beat, 0.5, place(pitch + 60, 55, 84), 90))
        if "melody" in pattern or pattern == "full":
            for beat in np.arange(start, start + beats_per_chord, 0.5):
                if rng.random() < 0.25 and beat != 0:
                    continue
                pool = triad if rng.random() < 0.6 or beat == start else scale_notes
                options = [place(p + 60, *RANGES["melody"]) for p in pool]
                if beat == 0:
                    options = [place(tonic + 60, *RANGES["melody"])]
                key = min(options, key=lambda k: abs(k - previous) + rng.random() * 6)
                parts["melody"].append((beat, 0.5, key, 95))
                previous = key
    return {part: notes for part, notes in parts.items() if notes}


def render_midi(fluidsynth: str, sf2: Path, parts: dict, programs: dict, bpm: float, stem: Path):
    """Render the parts with fluidsynth, one channel per part; stereo float at RATE."""
    beat_ms = 60000.0 / bpm
    events = []
    for channel, (part, notes) in enumerate(parts.items()):
        events += [(0, bytes([0xB0 | channel, 0, 0])), (0, bytes([0xC0 | channel, programs[part]]))]
        for beat, length, key, velocity in notes:
            on = 100 + round(beat * beat_ms)
            events += [(on, bytes([0x90 | channel, key, velocity]))]
            events += [(on + round(length * beat_ms), bytes([0x80 | channel, key, 0]))]
    stem.with_suffix(".mid").write_bytes(midi_file(events))
    command = [fluidsynth, "-n", "-i", "-q", "-g", "0.6", "-r", str(RATE), "-C", "0"]
    command += ["-O", "float", "-T", "wav", "-F", str(stem.with_suffix(".wav"))]
    subprocess.run([*command, str(sf2), str(stem.with_suffix(".mid"))], check=True)
    audio, _ = soundfile.read(stem.with_suffix(".wav"), dtype="float32", always_2d=True)
    return audio[round(0.1 * RATE) :]


def sampled_note(instrument: Instrument, key: int, seconds: float) -> np.ndarray:
    """The recorded sample nearest in pitch, resampled to the key and held for `seconds`."""
    root, audio, loop, rate = min(instrument.samples, key=lambda sample: abs(sample[0] - key))
    ratio = 2.0 ** ((key - root) / 12) * rate / RATE
    frames = int((seconds + 0.08) * RATE)
    positions = np.arange(frames) * ratio
    if loop and positions[-1] >= loop[1]:  # past the loop end: wrap inside the loop
        start, end = loop
        over = positions >= end
        positions[over] = start + (positions[over] - end) % (end - start)
    positions = positions[positions < len(audio) - 1]
    note = np.interp(positions, np.arange(len(audio)), audio).astype(np.float32)
    release = min(len(note), int(0.08 * RATE))
    note[len(note) - release :] *= np.linspace(1.0, 0.0, release, dtype=np.float32)
    return note


def render_sampled(parts: dict, instruments: dict, bpm: float, length: int) -> np.ndarray:
    """Mix the parts played by the sampler; mono float at RATE."""
    beat = 60.0 / bpm
    out = np.zeros(length + 4 * RATE, dtype=np.float32)
    for part, notes in parts.items():
        for start, beats, key, velocity in notes:
            sound = sampled_note(instruments[part], key, beats * beat) * (velocity / 127) ** 2
            at = round(start * beat * RATE)
            out[at : at + len(sound)] += sound[: len(out) - at]
    return out[:, None]


def finish(audio: np.ndarray, length: int) -> np.ndarray:
    """Cut to the loop's exact length with a 5 ms fade; normalised to -1 dBFS."""
    audio = audio[:length].copy()
    fade = int(0.005 * RATE)
    audio[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    peak = float(np.abs(audio).max())
    return audio * (0.89 / peak) if peak > 0 else audio


def timgm_instruments(root: Path) -> dict[str, list[Instrument]]:
    """TimGM6mb's bank-0 programs by the part they can play."""
    presets = sf2_presets(root / SF2_DIR / "TimGM6mb.sf2")
    found = [
        Instrument(name.strip(), family_of(program), program)
        for (bank, program), (name, _keys) in sorted(presets.items())
        if bank == 0 and family_of(program) and program not in NOT_PLAYED
    ]
    return by_part(found)


def by_part(found: list[Instrument]) -> dict[str, list[Instrument]]:
    return {
        "bass": [i for i in found if i.family == "bass"],
        "chords": [i for i in found if i.family in CHORD_FAMILIES],
        "melody": [i for i in found if i.family != "bass"],
    }


def freepats_instruments(root: Path) -> dict[str, list[Instrument]]:
    """freepats' melodic patches with a family, each with every recorded sample."""
    found = []
    for patch in sorted((root / "usr/share/midi/freepats/Tone_000").glob("*.pat")):
        family = family_of(int(patch.name[:3]))
        if family is None or int(patch.name[:3]) == 47:
            continue
        samples = tuple((s.root_key, s.audio, s.loop, s.rate) for s in read_patch(patch))
        found.append(Instrument(patch.stem[4:], family, samples=samples))
    return by_part(found)


def lmms_instruments(root: Path) -> dict[str, list[Instrument]]:
    """LMMS's single-note samples, each rooted at the median pYIN pitch of its voiced frames."""
    import librosa

    found = []
    for name, family in LMMS_SAMPLES.items():
        audio, rate = read_audio(root / "usr/share/lmms/samples" / name)
        mono = audio.mean(axis=1)
        if rate != RATE:
            mono = librosa.resample(mono, orig_sr=rate, target_sr=RATE)
        head = mono[: 2 * RATE]
        f0, voiced, _ = librosa.pyin(head, fmin=30, fmax=2000, sr=RATE, frame_length=4096)
        pitches = 69 + 12 * np.log2(f0[voiced] / 440.0)
        if pitches.size < 5 or np.std(pitches) > 0.5:
            print(f"lmms: {name} has no steady pitch, left out", file=sys.stderr)
            continue
        root_key = round(float(np.median(pitches)))
        found.append(Instrument(Path(name).stem, family, samples=((root_key, mono, None, RATE),)))
    return by_part(found)


def plan(source: str, instruments: dict, per_key: int, seed: int) -> list[dict]:
    """Deterministic recipes: per key, `per_key` loops with varied pattern, tempo and length."""
    rng = np.random.default_rng(seed)
    recipes = []
    for scale in ("major", "minor"):
        for tonic in range(12):
            for _ in range(per_key):
                pattern = PATTERNS[rng.integers(len(PATTERNS))]
                bars = int(BARS[rng.integers(len(BARS))])
                bpm = float(rng.integers(70, 161))
                parts = compose(rng, tonic, scale, pattern, bars)
                players = {part: _pick(rng, instruments[part]) for part in parts}
                recipe = {"source": source, "tonic": tonic, "scale": scale, "pattern": pattern}
                recipe |= {"bars": bars, "bpm": bpm, "parts": parts, "players": players}
                recipes.append(recipe)
    return recipes


def _pick(rng, options: list[Instrument]) -> Instrument:
    return options[rng.integers(len(options))]


def lead_player(recipe: dict) -> Instrument:
    players = recipe["players"]
    return players.get("melody") or players.get("chords") or players["bass"]


def render(recipe: dict, index: int, folder: Path, sf2: Path | None, fluidsynth: str) -> Loop:
    """Render one recipe to WAV and describe it."""
    length = round(recipe["bars"] * 4 * 60.0 / recipe["bpm"] * RATE)
    if sf2 is not None:
        programs = {part: player.program for part, player in recipe["players"].items()}
        with tempfile.TemporaryDirectory(dir=folder) as work:
            stem = Path(work) / "loop"
            audio = render_midi(fluidsynth, sf2, recipe["parts"], programs, recipe["bpm"], stem)
    else:
        audio = render_sampled(recipe["parts"], recipe["players"], recipe["bpm"], length)
    path = folder / recipe["source"] / f"loop {index:04d}.wav"
    write_wav(path, to_pcm(finish(audio, length)))
    lead = lead_player(recipe)
    mixed = len({player.name for player in recipe["players"].values()}) > 1
    return Loop(
        str(path), recipe["source"], NOTE_NAMES[recipe["tonic"]], recipe["scale"],
        "mix" if mixed else lead.family, lead.name, recipe["pattern"],
        recipe["bpm"], recipe["bars"],
    )  # fmt: skip


def build(cache_dir: Path = DEFAULT_CACHE, per_key: int = PER_KEY) -> list[Loop]:
    """Render the corpus once (or read its index); returns every loop."""
    index_path = cache_dir / f"keys-{per_key}.csv"
    if index_path.exists():
        with index_path.open() as file:
            rows = list(csv.DictReader(file))
        if all(Path(row["path"]).exists() for row in rows):
            return [
                Loop(**{**row, "bpm": float(row["bpm"]), "bars": int(row["bars"])}) for row in rows
            ]
    root = fetch_packages(cache_dir)
    fluidsynth = ensure_fluidsynth()
    folder = cache_dir / f"wav-{per_key}"
    sources = (
        ("timgm6mb", timgm_instruments(root), root / SF2_DIR / "TimGM6mb.sf2", per_key),
        ("freepats", freepats_instruments(root), None, math.ceil(per_key / 2)),
        ("lmms", lmms_instruments(root), None, math.ceil(per_key / 2)),
    )
    loops = []
    for seed, (source, instruments, sf2, count) in enumerate(sources):
        recipes = plan(source, instruments, count, seed)
        (folder / source).mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(2) as pool:
            jobs = [
                pool.submit(render, recipe, i, folder, sf2, fluidsynth)
                for i, recipe in enumerate(recipes)
            ]
            loops += [job.result() for job in jobs]
        print(f"{source}: {len(recipes)} loops", file=sys.stderr)
    with index_path.open("w", newline="") as file:
        writer = csv.DictWriter(file, FIELDS)
        writer.writeheader()
        writer.writerows(asdict(loop) for loop in loops)
    return loops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--per-key", type=int, default=PER_KEY, help="timgm6mb loops per key")
    args = parser.parse_args()
    loops = build(args.cache, args.per_key)
    print(f"{len(loops)} loops under {args.cache}")


if __name__ == "__main__":
    main()

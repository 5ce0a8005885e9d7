"""Pitch of one-shot notes: how close the analysis comes to the note that was played.

Usage: .venv/bin/python bench/pitch.py [--cache DIR]

The notes are real instrument recordings from the category corpus
(`bench/category_sources.py`): TimGM6mb's melodic programs rendered note by note
with fluidsynth, and freepats' multi-sampled patches, whose file names carry the
played note ("Acoustic Grand Piano C4.wav", "024_Nylon_Guitar_D5.wav"). Each is
analysed as the app would (`library.analysis.analyze`, with its name), and its
pitch compared with the note: the right note within 50 cents, the error in
cents, the notes given no pitch, and the drums given one. Then the other side:
chord hits, the first chord of each of bench/corpus_keys.py's chord loops (alone
or over a bass) cut to a one-shot, which should get a key and no note.
"""

import argparse
import re
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import category_sources  # noqa: E402
import corpus_keys  # noqa: E402

from library.analysis import analyze  # noqa: E402
from library.vocabulary import PITCH_CLASSES  # noqa: E402

PLAYED = re.compile(r"(?:^| |_)([A-G]#?)(-?\d)\.wav$")
TONAL = ("bass", "keys", "lead", "pad", "vocal")


def played_note(name: str) -> int | None:
    """The MIDI note a corpus file name says was played, or None."""
    found = PLAYED.search(name)
    if not found:
        return None
    return (int(found.group(2)) + 1) * 12 + PITCH_CLASSES.index(found.group(1))


def pitch_figures(cache_dir: Path | None = None) -> dict:
    """Analyse the corpus's named notes and drums; return the figures and print the details."""
    examples = category_sources.build(cache_dir or category_sources.DEFAULT_CACHE)
    errors, counts, wrong = defaultdict(list), Counter(), []
    drums, drums_pitched = Counter(), Counter()
    for example in examples:
        truth = played_note(example.name) if example.label in TONAL else None
        if truth is None and example.label in TONAL:
            continue
        result = analyze(example.path, name_hint=example.name, folder_hint=example.folder)
        if truth is None:
            drums[example.label] += 1
            drums_pitched[example.label] += result.pitch is not None
            continue
        counts[example.source, "notes"] += 1
        if result.pitch_midi is None:
            counts[example.source, "no pitch"] += 1
            continue
        off = (result.pitch_midi - truth) * 100 + result.pitch_cents
        if abs(off) > 50:
            counts[example.source, "wrong note"] += 1
            wrong.append(f"{example.name} read {result.pitch} {result.pitch_cents:+d}")
        else:
            errors[example.source].append(abs(off))
    figures = {}
    for source in sorted({source for source, _ in counts}):
        notes = counts[source, "notes"]
        cents = np.array(errors[source])
        figures[source] = {
            "notes": notes,
            "right note": len(cents) / notes,
            "no pitch": counts[source, "no pitch"] / notes,
            "wrong note": counts[source, "wrong note"] / notes,
            "median cents off": float(np.median(cents)) if cents.size else None,
            "90th percentile cents off": float(np.percentile(cents, 90)) if cents.size else None,
        }
    figures["drums given a pitch"] = {
        label: f"{drums_pitched[label]} of {drums[label]}" for label in sorted(drums)
    }
    figures["chord hits"] = chord_hits()
    print("Wrong notes (more than 50 cents off the played note):")
    for line in wrong:
        print(f"  {line}")
    return figures


def chord_hits() -> dict:
    """Of the key corpus's first chords cut to one-shots, how many get a note, a key or neither.

    By pattern (chords alone, chords over a bass) and the loop's scale (a major
    key's loop may open on its ii, a minor triad); loops of one or
    two bars change chord each beat or two, longer ones each bar, and a hit is
    cut at the chord's end or after two beats, with a 10 ms fade.
    """
    outcomes = Counter()
    with tempfile.TemporaryDirectory() as folder:
        for index, loop in enumerate(corpus_keys.build()):
            if loop.pattern not in ("chords", "chords+bass"):
                continue
            audio, rate = sf.read(loop.path, dtype="float32", always_2d=True)
            # compose() plays a progression of four chords once in loops of up
            # to four bars, and twice in eight: beats per chord as it does.
            beats = min(2, 4 * loop.bars / (4 * max(1, loop.bars // 4)))
            hit = audio[: int(beats * 60 / loop.bpm * rate)].copy()
            fade = min(len(hit), int(0.01 * rate))
            hit[len(hit) - fade :] *= np.linspace(1.0, 0.0, fade)[:, None]
            path = Path(folder) / f"hit {index}.wav"
            sf.write(path, hit, rate)
            result = analyze(path, name_hint="hit.wav")
            if result.kind != "one-shot":
                outcome = "loop"
            else:
                outcome = (
                    "note" if result.pitch_midi is not None else "key" if result.key else "neither"
                )
            outcomes[loop.pattern, loop.scale, outcome] += 1
    return {
        f"{pattern}, {scale} key": {
            outcome: outcomes[pattern, scale, outcome]
            for outcome in ("key", "note", "neither", "loop")
        }
        for pattern in ("chords", "chords+bass")
        for scale in ("major", "minor")
    }


def report(figures: dict) -> None:
    print("\nPitch of recorded notes (right note: within 50 cents of the one played)")
    print(f"  {'source':10s} {'notes':>6s} {'right':>7s} {'no pitch':>9s} {'wrong':>7s}"
          f" {'median':>7s} {'p90':>5s}")  # fmt: skip
    for source, row in figures.items():
        if source in ("drums given a pitch", "chord hits"):
            continue
        print(
            f"  {source:10s} {row['notes']:6d} {row['right note']:7.1%} {row['no pitch']:9.1%}"
            f" {row['wrong note']:7.1%} {row['median cents off']:6.1f}c"
            f" {row['90th percentile cents off']:4.0f}c"
        )
    print("  drums given a pitch (kicks and toms may have one; the rest never do):")
    print("   ", ", ".join(f"{k} {v}" for k, v in figures["drums given a pitch"].items()))
    print("\nChord hits cut from the key corpus (a chord has a key, not a note)")
    for group, row in figures["chord hits"].items():
        total = sum(row.values())
        print(f"  {group:24s} {total:4d}  " + "  ".join(
            f"{outcome} {count / max(total, 1):6.1%}" for outcome, count in row.items()
        ))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=category_sources.DEFAULT_CACHE)
    report(pitch_figures(parser.parse_args().cache))


if __name__ == "__main__":
    main()

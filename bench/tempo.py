"""How often library.analysis gets the tempo of loops right, and leaves pulseless sounds without one.

Usage: .venv/bin/python bench/tempo.py [--cache DIR] [--jobs N]

Builds (once) the corpus of bench/corpus_loops.py, analyses every file under a
neutral name ("take 7.wav": the name gives no tempo), and prints the share of
drum loops within 0.5 BPM and within 4 %, of tonal loops within 0.5 BPM, and of
pulseless sounds given no tempo; then the same per source / kit and per style,
and how the misses are wrong (half, double, 2/3, 4/3 ... or no tempo at all).
The 1,920 tonal loops of bench/corpus_keys.py (melodies, chords, bass lines and
arpeggios at 70-160 BPM, built once) are a second, larger tonal set, reported per
pattern ("key corpus") and per instrument family.

A true tempo outside the preferred range (DEFAULT_TEMPO_RANGE) is also right
at the octave inside it: the range is the user's way of choosing between them.
"""

import argparse
import math
import os
import sys
import warnings
import zlib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import corpus_keys  # noqa: E402
import corpus_loops  # noqa: E402
from corpus_common import analysis_pool  # noqa: E402

from library.analysis import analyze  # noqa: E402
from library.analysis.core import DEFAULT_TEMPO_RANGE  # noqa: E402

RATIOS = {"half": 0.5, "double": 2.0, "2/3": 2 / 3, "4/3": 4 / 3, "3/2": 1.5, "3/4": 0.75}
RATIO_TOLERANCE = 0.04


def accepted_tempos(bpm: float, tempo_range=DEFAULT_TEMPO_RANGE) -> list[float]:
    """The true tempo, and its octave inside the preferred range when it lies outside."""
    low, high = tempo_range
    tempos, folded = [bpm], bpm
    while folded < low:
        folded *= 2
    while folded > high:
        folded /= 2
    return tempos if folded == bpm else [*tempos, folded]


def error_kind(found: float | None, truth: float) -> str:
    """How a tempo relates to the truth: right, within 4 %, half, double ... none, other."""
    if found is None:
        return "none"
    relative = [abs(found / accepted - 1) for accepted in accepted_tempos(truth)]
    if any(abs(found - accepted) <= 0.5 for accepted in accepted_tempos(truth)):
        return "right"
    if min(relative) <= RATIO_TOLERANCE:
        return "within 4%"
    for name, ratio in RATIOS.items():
        if abs(found / (truth * ratio) - 1) <= RATIO_TOLERANCE:
            return name
    return "other"


def analyse_one(entry: dict) -> dict:
    """The analysis's tempo and kind for one corpus file, under a neutral name."""
    warnings.filterwarnings("ignore")
    result = analyze(
        entry["path"], name_hint=f"take {zlib.crc32(entry['name'].encode()) % 997}.wav"
    )
    return {**entry, "found": result.bpm, "kind": result.kind}


def analyse_all(files: list[dict], jobs: int) -> list[dict]:
    if jobs <= 1:
        return [analyse_one(entry) for entry in files]
    with analysis_pool(jobs) as pool:
        return list(pool.map(analyse_one, files, chunksize=8))


def _share(rows, test) -> str:
    hits = sum(1 for row in rows if test(row))
    return f"{100 * hits / len(rows):5.1f}% ({hits}/{len(rows)})" if rows else "   -"


def key_corpus_loops() -> list[dict]:
    """The tonal loops of bench/corpus_keys.py, a second and larger set of known tempo."""
    return [
        {
            "group": "key corpus",
            "source": loop.source,
            "kit": loop.family,
            "style": loop.pattern,
            "bpm": loop.bpm,
            "bars": loop.bars,
            "path": loop.path,
            "name": f"{loop.source} {Path(loop.path).stem}",
        }
        for loop in corpus_keys.build()
    ]


def tempo_figures(cache_dir=None, jobs: int = 1) -> dict:
    """The headline shares (percent) and the per-file results."""
    results = analyse_all(corpus_loops.build(cache_dir) + key_corpus_loops(), jobs)
    for row in results:
        row["error"] = "pulseless" if row["bpm"] is None else error_kind(row["found"], row["bpm"])
    drums = [row for row in results if row["group"] == "drum"]
    tonal = [row for row in results if row["group"] == "tonal"]
    pulseless = [row for row in results if row["group"] == "pulseless"]
    key_corpus = [row for row in results if row["group"] == "key corpus"]

    def percent(rows, test):
        return round(100 * sum(1 for row in rows if test(row)) / max(len(rows), 1), 1)

    return {
        "drum_within_half_bpm": percent(drums, lambda row: row["error"] == "right"),
        "drum_within_4_percent": percent(drums, lambda row: row["error"] in ("right", "within 4%")),
        "tonal_within_half_bpm": percent(tonal, lambda row: row["error"] == "right"),
        "key_corpus_within_half_bpm": percent(key_corpus, lambda row: row["error"] == "right"),
        "pulseless_without_tempo": percent(pulseless, lambda row: row["found"] is None),
        "results": results,
    }


def report(figures: dict) -> None:
    results = figures["results"]
    print(f"drum loops within 0.5 BPM:   {figures['drum_within_half_bpm']:5.1f}%")
    print(f"drum loops within 4%:        {figures['drum_within_4_percent']:5.1f}%")
    print(f"tonal loops within 0.5 BPM:  {figures['tonal_within_half_bpm']:5.1f}%")
    print(f"  key corpus's, within 0.5:  {figures['key_corpus_within_half_bpm']:5.1f}%")
    print(f"pulseless without a tempo:   {figures['pulseless_without_tempo']:5.1f}%")
    for title, key in (("source / kit", "kit"), ("style", "style")):
        print(f"\nper {title}: within 0.5 BPM, within 4%, errors")
        groups = defaultdict(list)
        for row in results:
            if row["group"] != "pulseless":
                beats = row["group"] == "drum" and row["source"] == "lmms"
                label = row["source"] if beats and key == "style" else row[key]
                groups[(row["group"], label)].append(row)
        for (group, label), rows in sorted(groups.items()):
            errors = defaultdict(int)
            for row in rows:
                if row["error"] not in ("right", "within 4%"):
                    errors[row["error"]] += 1
            print(
                f"  {group:6s} {label:14s} {_share(rows, lambda r: r['error'] == 'right')}"
                f"  {_share(rows, lambda r: r['error'] in ('right', 'within 4%'))}  "
                + ", ".join(f"{name} {count}" for name, count in sorted(errors.items()))
            )
    pulsed = [row for row in results if row["group"] == "pulseless" and row["found"] is not None]
    print(f"\npulseless given a tempo: {len(pulsed)}")
    shapes = defaultdict(int)
    for row in pulsed:
        shapes[f"{row['kit']} {row['style']}"] += 1
    print("  " + ", ".join(f"{name} {count}" for name, count in sorted(shapes.items())))
    print("\nmisses (first 40): file, truth, found, error")
    misses = [
        row
        for row in results
        if row["error"] not in ("right", "within 4%", "pulseless") and row["group"] != "key corpus"
    ]
    for row in misses[:40]:
        print(
            f"  {Path(row['path']).name:18s} {row['kit']:12s} {row['style']:10s} bars {row['bars']}"
            f"  {row['bpm']:7.2f}  {row['found'] or math.nan:7.2f}  {row['error']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="corpus cache (~/.cache/sp404site/tempo-corpus)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / "data" / "numba-cache"))
    report(tempo_figures(args.cache, args.jobs))


if __name__ == "__main__":
    main()

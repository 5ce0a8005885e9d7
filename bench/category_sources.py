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
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus_common import Example, fetch_packages
from corpus_recordings import freepats_examples, lmms_examples
from corpus_soundfonts import (
    SF2_DIR,
    avl_instruments,
    avl_notes,
    render_source,
    timgm_drum_notes,
    timgm_tone_notes,
)

from library.analysis.naming import LOOPS
from library.vocabulary import CATEGORIES

DEFAULT_CACHE = Path.home() / ".cache" / "sp404site" / "category-corpus"

SOURCES = ("avl_black_pearl", "avl_red_zeppelin", "timgm6mb", "freepats", "lmms")

# Every one-shot category of the app, in its order.
LABELS = tuple(name for name in CATEGORIES if name not in LOOPS and name != "other")

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

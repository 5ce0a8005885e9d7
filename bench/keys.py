"""Key detection measured on tonal loops played by real sampled instruments.

Usage: .venv/bin/python bench/keys.py [--cache DIR] [--per-key N] [--fit]

Builds (or reuses) the corpus of bench/corpus_keys.py, runs library.analysis.analyze
on every loop under a neutral name, and prints the share of loops whose key and scale
are right: overall, for major and minor apart, per source and per instrument family;
the usual confusions; the share given no key; and how often the key is right at each
level of key_confidence. timgm6mb is the development source; freepats and lmms are
reported apart as held-out sources for the confidence calibration.

--fit instead refits tonality.WEIGHTS on the timgm6mb loops alone and prints them
with the held-out accuracy they give, for tonality's key profiles and for published
ones it was compared with.
"""

import argparse
import itertools
import sys
import warnings
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from corpus_common import analysis_pool  # noqa: E402
from corpus_keys import DEFAULT_CACHE, NOTE_NAMES, Loop, build  # noqa: E402
from scipy.optimize import minimize  # noqa: E402

CONFIDENCE_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.01)
TRUSTED_CONFIDENCE = 0.8
HELD_OUT = ("freepats", "lmms")


def relation(loop: Loop, key: str | None, scale: str | None) -> str:
    """How the estimate relates to the true key: right, relative, parallel, fifth, other, none."""
    if key is None:
        return "no key"
    tonic, guess = NOTE_NAMES.index(loop.tonic), NOTE_NAMES.index(key)
    interval = (guess - tonic) % 12
    if scale == loop.scale:
        return "right" if interval == 0 else "fifth" if interval in (5, 7) else "other"
    if interval == 0:
        return "parallel"
    relative = 9 if loop.scale == "major" else 3
    return "relative" if interval == relative else "other"


def analyse(loop: Loop) -> dict:
    """The analysis's key for one loop (the file's own name would give the answer away)."""
    warnings.filterwarnings("ignore")
    from library.analysis import analyze

    result = analyze(loop.path, name_hint="sample.wav")
    return {
        "loop": loop,
        "relation": relation(loop, result.key, result.scale),
        "confidence": result.key_confidence,
        "category": result.category,
    }


def share(rows: list[dict], outcome: str = "right") -> float:
    return sum(row["relation"] == outcome for row in rows) / len(rows) if rows else 0.0


def calibration(rows: list[dict]) -> list[dict]:
    """Per confidence bin: how many loops got a key there and the share of them right."""
    table = []
    for low, high in itertools.pairwise(CONFIDENCE_BINS):
        inside = [r for r in rows if r["relation"] != "no key" and low <= r["confidence"] < high]
        table.append(
            {"from": low, "to": min(high, 1.0), "loops": len(inside), "right": share(inside)}
        )
    return table


def trusted(rows: list[dict]) -> dict:
    """Loops at key_confidence >= 0.8: how many, and the share of them right."""
    sure = [
        row
        for row in rows
        if row["relation"] != "no key" and row["confidence"] >= TRUSTED_CONFIDENCE
    ]
    return {
        "loops": len(sure),
        "share": len(sure) / len(rows) if rows else 0.0,
        "right": share(sure),
    }


def summary(rows: list[dict]) -> dict:
    """Accuracy, no-key share, confusions and calibration of a group of loops."""
    major = [row for row in rows if row["loop"].scale == "major"]
    minor = [row for row in rows if row["loop"].scale == "minor"]
    outcomes = Counter(row["relation"] for row in rows)
    return {
        "loops": len(rows),
        "right": share(rows),
        "right_of_keyed": share([row for row in rows if row["relation"] != "no key"]),
        "major": share(major),
        "minor": share(minor),
        "no_key": share(rows, "no key"),
        "confusions": {name: count / len(rows) for name, count in outcomes.items()},
        "trusted": trusted(rows),
        "calibration": calibration(rows),
    }


def grouped(rows: list[dict], field: str) -> dict[str, dict]:
    groups = defaultdict(list)
    for row in rows:
        groups[getattr(row["loop"], field)].append(row)
    return {name: summary(group) for name, group in sorted(groups.items())}


def key_figures(cache_dir: Path | None = None, per_key: int = 20) -> dict:
    """Every figure of the key benchmark, as plain values."""
    loops = build(cache_dir or DEFAULT_CACHE, per_key)
    with analysis_pool() as pool:
        rows = list(pool.map(analyse, loops, chunksize=8))
    held_out = [row for row in rows if row["loop"].source in HELD_OUT]
    return {
        "all": summary(rows),
        "held_out": summary(held_out),
        "sources": grouped(rows, "source"),
        "families": grouped(rows, "family"),
        "patterns": grouped(rows, "pattern"),
        "categories": dict(Counter(row["category"] for row in rows)),
    }


# Published key profiles (major, minor) to compare with tonality's own choice.
PUBLISHED_PROFILES = {
    "Krumhansl-Kessler 1982": (
        [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88],
        [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17],
    ),
    "Temperley (Kostka-Payne) 2007": (
        [0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400],
        [0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330],
    ),
    "Albrecht-Shanahan 2013": (
        [0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.080, 0.008, 0.081],
        [0.220, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022, 0.061, 0.052],
    ),
}


def evidence(loop: Loop) -> dict[str, np.ndarray]:
    """tonality.key_evidence of one loop (24 keys x evidence), per key profile."""
    from library.analysis import tonality
    from library.analysis.decoding import ANALYSIS_RATE, analysis_signal, load_audio
    from library.analysis.measure import measure

    decoded = load_audio(loop.path)
    signal = analysis_signal(decoded.mono(), decoded.info.sample_rate)
    pitch_classes = measure(signal, ANALYSIS_RATE).chroma
    found = {"Gomez 2006 (tonality)": tonality.key_evidence(pitch_classes)}
    for name, (major, minor) in PUBLISHED_PROFILES.items():
        profiles = tonality.key_profiles(np.array(major), np.array(minor))
        found[name] = tonality.key_evidence(pitch_classes, profiles)
    return found


def truth(loop: Loop) -> int:
    """Index of the loop's key among the 24: 12 major then 12 minor."""
    return NOTE_NAMES.index(loop.tonic) + (12 if loop.scale == "minor" else 0)


def log_likelihood(weights: np.ndarray, evidence: np.ndarray, keys: np.ndarray) -> float:
    """Mean log-probability of the true keys, with a small L2 penalty on the weights."""
    scores = evidence @ weights
    scores -= scores.max(axis=1, keepdims=True)
    log_p = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    return float(log_p[np.arange(len(keys)), keys].mean() - 1e-3 * weights @ weights)


def fit_weights(cache_dir: Path | None = None, per_key: int = 20) -> dict[str, dict]:
    """Per key profile: weights maximising the likelihood of the timgm6mb loops' keys,
    the held-out loops right with them, and (for comparison) right by profile fit alone."""
    loops = build(cache_dir or DEFAULT_CACHE, per_key)
    with analysis_pool() as pool:
        found = list(pool.map(evidence, loops, chunksize=8))
    keys = np.array([truth(loop) for loop in loops])
    development = np.array([loop.source not in HELD_OUT for loop in loops])
    results = {}
    for name in found[0]:
        arrays = np.array([item[name] for item in found])
        start = np.zeros(arrays.shape[2])
        start[0] = 5.0
        fitted = minimize(
            lambda w, arrays=arrays: -log_likelihood(w, arrays[development], keys[development]),
            start,
        ).x
        held = arrays[~development]
        results[name] = {
            "weights": fitted,
            "held_out_right": float(np.mean((held @ fitted).argmax(axis=1) == keys[~development])),
            "profile_alone_right": float(np.mean(arrays[:, :, 0].argmax(axis=1) == keys)),
        }
    return results


def line(name: str, figures: dict) -> str:
    sure = figures["trusted"]
    return (
        f"  {name:16s} {figures['loops']:4d}  right {figures['right']:6.1%}"
        f" (of keyed {figures['right_of_keyed']:6.1%})  "
        f"major {figures['major']:6.1%}  minor {figures['minor']:6.1%}  "
        f"no key {figures['no_key']:6.1%}  conf>=0.8: {sure['share']:6.1%} of loops, "
        f"{sure['right']:6.1%} right"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--per-key", type=int, default=20)
    parser.add_argument("--fit", action="store_true", help="refit tonality.WEIGHTS")
    args = parser.parse_args()
    if args.fit:
        for name, fitted in fit_weights(args.cache, args.per_key).items():
            print(
                f"{name}: profile fit alone {fitted['profile_alone_right']:.1%} right (all loops);"
                f" all evidence, fitted on timgm6mb: {fitted['held_out_right']:.1%} of held-out"
                f" loops right; WEIGHTS = {np.round(fitted['weights'], 1).tolist()}"
            )
        return
    report(key_figures(args.cache, args.per_key))


def report(figures: dict) -> None:
    """Print what key_figures measured."""
    print("Key and scale right, on tonal loops of real sampled instruments")
    print(line("all", figures["all"]))
    print(line("held out", figures["held_out"]))
    for title in ("sources", "families", "patterns"):
        print(f"\nper {title[:-1] if title != 'families' else 'family'}")
        for name, group in figures[title].items():
            print(line(name, group))
    print("\noutcomes (share of all loops)")
    for name, value in sorted(figures["all"]["confusions"].items(), key=lambda item: -item[1]):
        print(f"  {name:10s} {value:6.1%}")
    print("\nkey_confidence calibration (loops given a key)")
    for group in ("all", "held_out"):
        print(f"  {group}")
        for row in figures[group]["calibration"]:
            print(
                f"    {row['from']:.1f}-{row['to']:.1f}  {row['loops']:4d} loops  {row['right']:6.1%} right"
            )
    print(f"\ncategories given: {figures['categories']}")


if __name__ == "__main__":
    main()

"""Key detection measured on tonal loops played by real sampled instruments.

Usage: .venv/bin/python bench/keys.py [--cache DIR] [--per-key N] [--fit]

Builds (or reuses) the corpus of bench/corpus_keys.py, measures every loop as the
analysis does (library.analysis.measure), keys it with tonality.estimate_key and a
model trained without the loop's source (timgm6mb, freepats or LMMS), and prints the
share of loops whose key and scale are right: overall, for major and minor apart,
per source and per instrument family; the usual confusions; the share given no key;
and how often the key is right at each level of key_confidence.  Every loop is heard
as composed, opening on its progression's first chord (the tonic, as loops mostly
do), and from half-way through, a quarter in and three quarters in, opening on
another chord of its progression as a loop cut elsewhere does.  The model learns
from the first two only, so the last two are openings it has never met.

--fit instead learns tonality's key model: measured leave-one-source-out (trained
on two of timgm6mb, freepats and LMMS, tested on the third), then trained on all
three and written to library/analysis/key_model.npz.  It also prints how often the
best-correlating published key profile alone is right, for comparison.
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
from corpus_keys import DEFAULT_CACHE, NOTE_NAMES, PER_KEY, Loop, build  # noqa: E402
from scipy.optimize import minimize  # noqa: E402

from library.analysis import tonality  # noqa: E402

CONFIDENCE_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.01)
TRUSTED_CONFIDENCE = 0.8
# Where each loop is heard from, as a share of its length: as composed, and from
# half-way through (both learned from), and from a quarter and three quarters in,
# which the model never learns from.
OPENINGS = {"tonic": 0.0, "half-way": 0.5, "a quarter in": 0.25, "three quarters in": 0.75}
LEARNED_FROM = ("tonic", "half-way")
# L2 penalty on the weights, chosen leave-one-source-out among 3e-5, 1e-4 and 3e-4
# (on the features' square roots): 1e-4 kept loops at confidence >= 0.8 right
# >= 92 % in all four openings, where 3e-5 let those a quarter in fall to 89.6 %
# and 3e-4 cost a point of accuracy in each.
REGULARISATION = 1e-4


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


def measured(loop: Loop) -> dict[str, tuple]:
    """Per opening, the loop's pitch classes and tonal share, as the analysis measures them."""
    warnings.filterwarnings("ignore")
    from library.analysis.decoding import ANALYSIS_RATE, analysis_signal, load_audio
    from library.analysis.measure import measure

    decoded = load_audio(loop.path)
    signal = analysis_signal(decoded.mono(), decoded.info.sample_rate)
    found = {}
    for opening, share in OPENINGS.items():
        sound = measure(np.roll(signal, -round(signal.size * share)), ANALYSIS_RATE)
        found[opening] = (sound.chroma, sound.harmonic_ratio)
    return found


def measure_all(loops: list[Loop]) -> list[dict[str, tuple]]:
    with analysis_pool() as pool:
        return list(pool.map(measured, loops, chunksize=8))


def truth(loop: Loop) -> int:
    """Index of the loop's key among the 24: 12 major then 12 minor."""
    return NOTE_NAMES.index(loop.tonic) + (12 if loop.scale == "minor" else 0)


def _model(flat: np.ndarray, size: int) -> tonality.KeyModel:
    """A model from the optimiser's flat vector: two rows of ``size`` weights, then the bias."""
    return tonality.KeyModel(flat[: 2 * size].reshape(2, size), float(flat[-1]))


def _loss(flat: np.ndarray, features: np.ndarray, keys: np.ndarray, penalty: float):
    """Mean negative log-probability of the true keys, with an L2 penalty; and its gradient."""
    size = features.shape[2]
    probabilities = tonality.softmax(tonality.scores(features, _model(flat, size)))
    rows = np.arange(len(keys))
    loss = -np.log(probabilities[rows, keys] + 1e-12).mean()
    error = probabilities
    error[rows, keys] -= 1.0
    error /= len(keys)
    gradient = np.concatenate(
        [
            np.einsum("nk,nkf->f", error[:, :12], features[:, :12]),
            np.einsum("nk,nkf->f", error[:, 12:], features[:, 12:]),
            [error[:, 12:].sum()],
        ]
    )
    weights = flat[: 2 * size]
    gradient[: 2 * size] += 2 * penalty * weights
    return loss + penalty * weights @ weights, gradient


def fit(features: np.ndarray, keys: np.ndarray) -> tonality.KeyModel:
    """The key model most likely to give ``keys`` (multinomial logistic regression)."""
    size = features.shape[2]
    start = np.zeros(2 * size + 1)
    flat = minimize(
        _loss, start, args=(features, keys, REGULARISATION), jac=True, method="L-BFGS-B"
    ).x
    return _model(flat, size)


def training_set(loops: list[Loop], found: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Features and keys of the loops, each in the openings learned from."""
    features = [tonality.key_features(item[o][0]) for item in found for o in LEARNED_FROM]
    keys = [truth(loop) for loop in loops for _ in LEARNED_FROM]
    return np.array(features), np.array(keys)


def held_out_rows(loops: list[Loop], found: list[dict]) -> dict[str, list[dict]]:
    """Per opening, each loop's key from a model trained on the other sources only."""
    rows = {opening: [] for opening in OPENINGS}
    for source in sorted({loop.source for loop in loops}):
        train = [i for i, loop in enumerate(loops) if loop.source != source]
        model = fit(*training_set([loops[i] for i in train], [found[i] for i in train]))
        for loop, item in zip(loops, found, strict=True):
            if loop.source != source:
                continue
            for opening in OPENINGS:
                key = tonality.estimate_key(*item[opening], model=model)
                rows[opening].append(
                    {
                        "loop": loop,
                        "relation": relation(loop, key.tonic, key.scale),
                        "confidence": key.confidence,
                    }
                )
    return rows


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


def key_figures(cache_dir: Path | None = None, per_key: int = PER_KEY) -> dict:
    """Every figure of the key benchmark, as plain values (models held out per source)."""
    return figures_of(*measured_corpus(cache_dir, per_key))


def measured_corpus(cache_dir: Path | None, per_key: int) -> tuple[list[Loop], list[dict]]:
    """The corpus's loops, and each one measured in every opening."""
    loops = build(cache_dir or DEFAULT_CACHE, per_key)
    return loops, measure_all(loops)


def figures_of(loops: list[Loop], found: list[dict]) -> dict:
    rows = held_out_rows(loops, found)
    figures = {opening: summary(rows[opening]) for opening in OPENINGS}
    straight = rows["tonic"]
    figures |= {
        "sources": grouped(straight, "source"),
        "families": grouped(straight, "family"),
        "patterns": grouped(straight, "pattern"),
        "profiles": profile_figures(loops, found),
    }
    return figures


# Published key profiles (major, minor), compared by how often the best-correlating
# key is right on its own.
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
    # E. Gómez, "Tonal description of music audio signals", PhD thesis, UPF 2006
    # (as in MIRtoolbox): derived from audio, so it carries instruments' overtones.
    "Gomez 2006": (
        [1.5613, 0.8396, 1.1929, 0.7586, 1.4157, 1.0300, 0.8756, 1.5361, 0.8415, 1.2141, 0.7235, 1.1331],
        [1.6222, 0.8027, 1.1587, 1.3813, 0.9795, 1.0486, 0.8595, 1.5466, 1.0523, 1.0179, 1.1278, 0.9862],
    ),
}  # fmt: skip


def profile_figures(loops: list[Loop], found: list[dict]) -> dict[str, dict[str, float]]:
    """Per published profile and opening: the share of loops whose best-correlating key is right."""
    keys = np.array([truth(loop) for loop in loops])
    figures = {}
    for name, (major, minor) in PUBLISHED_PROFILES.items():
        rows = [np.roll(major, shift) for shift in range(12)]
        rows += [np.roll(minor, shift) for shift in range(12)]
        profiles = np.array(rows) - np.mean(rows, axis=1, keepdims=True)
        profiles /= np.linalg.norm(profiles, axis=1, keepdims=True)  # so argmax is correlation
        figures[name] = {}
        for opening in OPENINGS:
            tuned = np.array([item[opening][0].tuned for item in found])
            tuned = tuned - tuned.mean(axis=1, keepdims=True)
            figures[name][opening] = float(np.mean((tuned @ profiles.T).argmax(axis=1) == keys))
    return figures


def fit_and_save(cache_dir: Path | None = None, per_key: int = PER_KEY) -> dict:
    """Measure held out per source, then train on every loop and write the shipped model."""
    loops, found = measured_corpus(cache_dir, per_key)
    figures = figures_of(loops, found)
    model = fit(*training_set(loops, found))
    tonality.save(
        tonality.MODEL_PATH,
        model,
        regularisation=REGULARISATION,
        trained_on=sorted({loop.source for loop in loops}),
        loops=len(loops),
        held_out_right=figures["tonic"]["right"],
    )
    return figures


def line(name: str, figures: dict) -> str:
    sure = figures["trusted"]
    return (
        f"  {name:26s} {figures['loops']:4d}  right {figures['right']:6.1%}"
        f" (of keyed {figures['right_of_keyed']:6.1%})  "
        f"major {figures['major']:6.1%}  minor {figures['minor']:6.1%}  "
        f"no key {figures['no_key']:6.1%}  conf>=0.8: {sure['share']:6.1%} of loops, "
        f"{sure['right']:6.1%} right"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--per-key", type=int, default=PER_KEY)
    parser.add_argument("--fit", action="store_true", help="learn and write the key model")
    args = parser.parse_args()
    if args.fit:
        report(fit_and_save(args.cache, args.per_key))
        print(f"\nwrote {tonality.MODEL_PATH.relative_to(ROOT)}")
        return
    report(key_figures(args.cache, args.per_key))


def report(figures: dict) -> None:
    """Print what key_figures measured."""
    print("Key and scale right, on tonal loops of real sampled instruments")
    print("(each source's loops keyed by a model trained on the other two)")
    for opening in OPENINGS:
        print(line(f"opening {opening}", figures[opening]))
    for title in ("sources", "families", "patterns"):
        print(f"\nper {title[:-1] if title != 'families' else 'family'} (opening on the tonic)")
        for name, group in figures[title].items():
            print(line(name, group))
    for opening in OPENINGS:
        print(f"\noutcomes, opening {opening} (share of all loops)")
        confusions = figures[opening]["confusions"]
        for name, value in sorted(confusions.items(), key=lambda item: -item[1]):
            print(f"  {name:10s} {value:6.1%}")
    print("\nkey_confidence calibration (loops given a key)")
    for opening in OPENINGS:
        print(f"  opening {opening}")
        for row in figures[opening]["calibration"]:
            print(
                f"    {row['from']:.1f}-{row['to']:.1f}  {row['loops']:4d} loops  {row['right']:6.1%} right"
            )
    print("\npublished key profiles alone (best-correlating key right)")
    for name, shares in figures["profiles"].items():
        print(f"  {name:30s} " + "  ".join(f"{o} {v:6.1%}" for o, v in shares.items()))


if __name__ == "__main__":
    main()

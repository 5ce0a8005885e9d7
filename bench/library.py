"""Library benchmark: server time per request with 100,000 samples.

Fills a fresh SQLite database (or the one DATABASE_URL names) with realistic
sample rows (features, tags, genres, tempos, keys, folders), then times requests
through Django's test client: the unfiltered first page, 20 typical filter
combinations (htmx results partial), text search, and find-similar. The same
queries run again with the app's indexes dropped, in the same run, for a ratio.

    .venv/bin/python bench/library.py [--samples 100000] [--repeat 15]

With `--reuse` and SP404_DATA_DIR (or DATABASE_URL) naming a library this
benchmark filled before, the library is timed again as it is: filling a
million samples takes 20 minutes or more. Its indexes are then kept, and the
baseline is the same library without planner statistics (SQLite) or with
index scans turned off for the benchmark's session (PostgreSQL).
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if not os.environ.get("SP404_DATA_DIR"):
    os.environ["SP404_DATA_DIR"] = tempfile.mkdtemp(prefix="sp404-bench-library-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sp404site.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from core import statistics as planner_statistics  # noqa: E402
from library.analysis.features import FEATURE_NAMES  # noqa: E402
from library.models import AudioFeatures, Sample, SampleTag, Tag  # noqa: E402
from library.search import document  # noqa: E402
from library.vocabulary import PITCH_CLASSES  # noqa: E402
from library.waveforms import thumbnail_path  # noqa: E402
from sp404site.warmup import warm_up  # noqa: E402

ONE_SHOTS = ["kick", "snare", "clap", "closed_hat", "open_hat", "cymbal", "tom", "percussion", "bass", "fx"]  # fmt: skip
LOOPS = ["drum_loop", "melodic_loop", "bass_loop", "vocal_loop"]
GENRES = ["hip hop", "lofi", "house", "techno", "trap", "jazz", "soul", "dnb", "ambient", ""]
WORDS = ["dusty", "warm", "crispy", "deep", "tape", "vinyl", "punchy", "dark", "bright", "808",
         "analog", "boom", "bap", "room", "soft", "hard", "shaker", "rim", "keys", "rhodes"]  # fmt: skip
PACKS = ["Dusty Drums", "Lofi Essentials", "Trap Kit Vol 2", "Soul Chops", "Modular Textures"]
TAGS = [f"{word}{suffix}" for word in WORDS for suffix in ("", " vibes", " hits", " one", " two")]

FILTERS = [
    {"kind": "loop"},
    {"kind": "one-shot", "category": "kick"},
    {"category": "snare"},
    {"bpm_min": 85, "bpm_max": 95},
    {"bpm_min": 120, "bpm_max": 130, "kind": "loop"},
    {"key": "A", "scale": "minor"},
    {"key": "A", "scale": "minor", "compatible": "on"},
    {"key": "F#", "scale": "major", "compatible": "on", "bpm_min": 80, "bpm_max": 100},
    {"genre": "lofi"},
    {"genre": "house", "bpm_min": 118, "bpm_max": 128},
    {"tag": "dusty"},
    {"tag": "vinyl hits", "kind": "loop"},
    {"folder": "Dusty Drums"},
    {"folder": "Soul Chops/Loops", "sort": "bpm"},
    {"duration_max": 0.5},
    {"duration_min": 4, "duration_max": 16, "sort": "-duration"},
    {"status": "ready", "sort": "name"},
    {"favorite": "on"},
    {"rating_min": 4, "sort": "rating"},
    {"category": "closed_hat", "sort": "name", "page": 3},
]
SEARCHES = [
    "kick",
    "bd",
    "dusty snare",
    "hh",
    "vinyl",
    "rhodes keys",
    "808",
    "tape warm loop",
    "l",
    "kic",
]


def fake_sample(owner, rng: random.Random, index: int) -> Sample:
    loop = rng.random() < 0.3
    category = rng.choice(LOOPS if loop else ONE_SHOTS)
    pack = rng.choice(PACKS)
    folder = f"{pack}/{'Loops' if loop else category.replace('_', ' ').title() + 's'}"
    name = f"{rng.choice(WORDS).title()} {category.replace('_', ' ')} {index % 97:02d}"
    tonal = category in {"melodic_loop", "bass_loop", "bass", "vocal_loop"}
    key = rng.choice(PITCH_CLASSES) if tonal else ""
    return Sample(
        owner=owner, name=name, file=f"audio/{index:064x}.wav", original_filename=f"{name}.wav",
        source_path=folder, sha256=f"{index:064x}", file_size=rng.randint(10_000, 5_000_000),
        format="wav", duration=rng.uniform(2, 16) if loop else rng.uniform(0.05, 2.5),
        sample_rate=rng.choice([44100, 48000, 96000]), channels=rng.choice([1, 2]), bit_depth=24,
        genre=rng.choice(GENRES), tempo_bpm=round(rng.uniform(70, 175), 1) if loop else None,
        key=key, scale=rng.choice(["major", "minor"]) if key else "", kind="loop" if loop else "one-shot",
        category=category, category_confidence=rng.random(), status="ready",
        is_favorite=rng.random() < 0.03, rating=rng.choice([None, None, None, 1, 2, 3, 4, 5]),
    )  # fmt: skip


def waveform_shapes(rng: np.random.Generator, count: int = 512) -> list[tuple[list, str]]:
    """Waveform peaks and their thumbnails, drawn once: making one per row was 40% of the fill."""
    shapes = []
    for _ in range(count):
        peaks = np.abs(rng.normal(0, 0.3, 256)).clip(0, 1).round(3).tolist()
        pairs = [[-value, value] for value in peaks]
        shapes.append((pairs, thumbnail_path(pairs)))
    return shapes


def fake_features(sample: Sample, rng: np.random.Generator, shapes) -> AudioFeatures:
    peaks, thumbnail = shapes[int(rng.integers(len(shapes)))]
    return AudioFeatures(
        sample_id=sample.pk, tempo_bpm=sample.tempo_bpm, tempo_confidence=0.8 if sample.tempo_bpm else None,
        onset_rate=float(rng.uniform(0, 8)), key=sample.key, scale=sample.scale,
        key_confidence=0.7 if sample.key else None, kind=sample.kind, kind_confidence=0.9,
        category=sample.category, category_confidence=0.8, spectral_centroid=float(rng.uniform(100, 8000)),
        spectral_rolloff=float(rng.uniform(200, 12000)), spectral_bandwidth=float(rng.uniform(100, 4000)),
        spectral_flatness=float(rng.uniform(0, 0.5)), zero_crossing_rate=float(rng.uniform(0, 0.3)),
        rms=float(rng.uniform(0.01, 0.5)), peak=float(rng.uniform(0.2, 1)), loudness_lufs=float(rng.uniform(-30, -6)),
        harmonic_ratio=float(rng.uniform(0, 1)), mfcc=rng.normal(0, 10, 13).round(4).tolist(),
        feature_vector=rng.normal(0, 1, len(FEATURE_NAMES)).astype(np.float32).tobytes(),
        waveform_peaks=peaks, waveform_thumbnail=thumbnail,
    )  # fmt: skip


def fill(count: int):
    if connection.vendor == "sqlite":
        # Room for the indexes being filled: with the app's 32 MB cache the first
        # 385,000 of a million rows took 12.5 minutes (another benchmark ran on
        # the second core for most of them), with this 7 (measured). Only the
        # filling connection has it; it is closed at the end.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -4000000")
    owner = get_user_model().objects.create_user("bench", password="bench")
    rng, np_rng = random.Random(1), np.random.default_rng(1)
    shapes = waveform_shapes(np_rng)
    tags = Tag.objects.bulk_create(Tag(owner=owner, name=name) for name in TAGS)
    batch = 5000
    for start in range(0, count, batch):
        with transaction.atomic():
            samples = [
                fake_sample(owner, rng, index) for index in range(start, min(start + batch, count))
            ]
            chosen = [rng.sample(tags, rng.randint(0, 3)) for _ in samples]
            for sample, sample_tags in zip(samples, chosen, strict=True):
                sample.search_text = document(sample, [tag.name for tag in sample_tags])
            samples = Sample.objects.bulk_create(samples)
            AudioFeatures.objects.bulk_create(
                fake_features(sample, np_rng, shapes) for sample in samples
            )
            SampleTag.objects.bulk_create(
                SampleTag(sample=sample, tag=tag)
                for sample, sample_tags in zip(samples, chosen, strict=True)
                for tag in sample_tags
            )
    connection.close()  # The queries are timed with the app's own settings.
    return owner


def timed(client: Client, url: str, params: dict, headers: dict, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, params, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, params, response.status_code)
    return times


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[
        min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))
    ]


def run_suite(client: Client, repeat: int, similar_id: int | None) -> dict[str, dict]:
    """{group: {query label: times}} for every query of the benchmark."""
    partial = {"HX-Request": "true", "HX-Target": "results"}
    results = {"first page (full)": {"/": timed(client, "/", {}, {}, repeat)}}
    results["filters (partial)"] = {
        label(params): timed(client, "/", params, partial, repeat) for params in FILTERS
    }
    results["search (partial)"] = {
        f"q={q}": timed(client, "/", {"q": q}, partial, repeat) for q in SEARCHES
    }
    if similar_id:
        url = f"/samples/{similar_id}/similar/"
        results["find similar"] = {url: timed(client, url, {}, {}, repeat)}
    return results


def label(params: dict) -> str:
    return " ".join(f"{key}={value}" for key, value in params.items())


def drop_indexes() -> int:
    """Drop the app's own B-tree indexes on the library tables (not keys or FTS)."""
    with connection.cursor() as cursor:
        names = []
        for table in (
            "library_sample",
            "library_sampletag",
            "library_tag",
            "library_audiofeatures",
        ):
            constraints = connection.introspection.get_constraints(cursor, table)
            names += [
                name for name, info in constraints.items()
                if info["index"] and not info["unique"] and not info["primary_key"]
            ]  # fmt: skip
        for name in names:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    refresh_statistics()
    return len(names)


def refresh_statistics() -> None:
    """Fresh planner statistics: as the app gathers them (SQLite), as autovacuum keeps them (PostgreSQL)."""
    if connection.vendor == "sqlite":
        planner_statistics.refresh()
    else:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def time_statistics_upkeep() -> None:
    """What an import batch's end costs: the staleness check, against the refresh it spares."""
    timings = {}
    for label, work in (
        ("staleness check", planner_statistics.stale),
        ("refresh", planner_statistics.refresh),
    ):
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            work()
            runs.append(1000 * (time.perf_counter() - started))
        timings[label] = statistics.median(runs)
    print(
        f"planner statistics: staleness check {timings['staleness check']:.1f} ms, "
        f"full refresh {timings['refresh']:.0f} ms ({timings['refresh'] / timings['staleness check']:.0f}x)"
    )


def forget_statistics() -> None:
    """No planner statistics (SQLite): a library as an import leaves it until they are refreshed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("DELETE FROM sqlite_stat1")
    connection.close()  # The planner reads the statistics when a connection opens.


def report(label: str, with_indexes: dict, without: dict, baseline: str = "no-index") -> None:
    print(f"\n{label}")
    header = (
        f"{'p50 ms':>9}{'p95 ms':>9}{baseline + ' p50':>14}{baseline + ' p95':>14}{'ratio p95':>11}"
    )
    print(f"{'query':<22}{header}")
    for group, queries in with_indexes.items():
        times = [t for query in queries.values() for t in query]
        slow = [t for query in without[group].values() for t in query]
        print(f"{group:<22}{row(times, slow)}")
    for group in ("filters (partial)", "search (partial)"):
        print(f"\n{group}, each query\n{'query':<60}{header}")
        for query, times in with_indexes[group].items():
            print(f"{query:<60}{row(times, without[group][query])}")


def row(times: list[float], slow: list[float]) -> str:
    p50, p95 = percentiles(times)
    slow50, slow95 = percentiles(slow)
    return f"{p50:>9.1f}{p95:>9.1f}{slow50:>14.1f}{slow95:>14.1f}{slow95 / p95:>10.1f}x"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--reuse", action="store_true", help="time the library filled by an earlier run, kept"
    )
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    owner = get_user_model().objects.filter(username="bench").first() if args.reuse else None
    if owner is None:
        started = time.perf_counter()
        owner = fill(args.samples)
        print(
            f"filled {args.samples:,} samples on {connection.vendor} in {time.perf_counter() - started:.0f} s"
        )
    else:
        print(
            f"reusing {Sample.objects.filter(owner=owner).count():,} samples on {connection.vendor}"
        )
    refresh_statistics()
    time_statistics_upkeep()
    warm_up()  # As the served app's wsgi module does at start.
    client = Client()
    client.force_login(owner)
    similar_id = None
    try:
        from django.urls import reverse

        reverse("library:similar", args=[1])
        similar_id = Sample.objects.order_by("?").values_list("pk", flat=True).first()
    except Exception:  # the similar view may not exist yet
        similar_id = None
    with CaptureQueriesContext(connection) as queries:
        client.get("/", {"kind": "loop"}, headers={"HX-Request": "true", "HX-Target": "results"})
    print(f"queries per filtered results partial: {len(queries)}")
    run_suite(client, 2, similar_id)  # warm caches
    indexed = run_suite(client, args.repeat, similar_id)
    if connection.vendor == "sqlite":
        forget_statistics()
        report(
            "with planner statistics (baseline: none, as an import leaves the library until they are refreshed)",
            indexed,
            run_suite(client, max(3, args.repeat // 3), similar_id),
            baseline="no-stats",
        )
        refresh_statistics()
    if args.reuse:
        if connection.vendor != "sqlite":
            with connection.cursor() as cursor:  # This session only: the library keeps them.
                cursor.execute("SET enable_indexscan = off; SET enable_bitmapscan = off")
                cursor.execute("SET enable_indexonlyscan = off")
            report(
                f"server time per request, {Sample.objects.count():,} samples "
                "(baseline: index scans turned off)",
                indexed,
                run_suite(client, max(3, args.repeat // 3), similar_id),
            )
        return
    dropped = drop_indexes()
    unindexed = run_suite(client, max(3, args.repeat // 3), similar_id)
    report(
        f"server time per request, {args.samples:,} samples ({dropped} indexes dropped for the baseline)",
        indexed,
        unindexed,
    )


if __name__ == "__main__":
    main()

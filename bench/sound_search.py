"""Search-with-a-sound benchmark: server time of a query by a 5 s clip at 100,000 samples.

Fills a fresh data directory with its own SQLite database with ready samples
whose feature vectors scatter around analysed generated sounds (as
bench/similarity.py does), adds one real 4-bar drum loop imported and analysed,
and saves the similarity index as the worker does after an import. Then times,
through Django's test client after a warm-up:

- POST /sound-search/ with a 5 s excerpt of that loop (stereo WAV, 44.1 kHz,
  16-bit), the whole request, and with filters in the query string;
- its two parts alone: decode + features (``library.sound_views.clip_vector``)
  and the nearest lookup (``library.similarity.sounds_like``);
- clips of other lengths and formats: 1 s one-shot, 30 s (the part compared),
  and a 5-minute MP3 (of which only the first 30 s are decoded).

The baseline, timed in the same process and alternated with each measured
call, is "find similar" for a library sample at the same size: GET
/samples/<pk>/similar/ for the requests (with the same filters when filtered),
``similar_samples`` for the lookup.

    .venv/bin/python bench/sound_search.py [--samples 100000] [--repeat 20]
"""

import argparse
import io
import itertools
import logging
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# A throwaway data directory and SQLite database, whatever the environment names.
WORK = Path(tempfile.mkdtemp(prefix="sp404-bench-sound-search-"))
os.environ["SP404_DATA_DIR"] = str(WORK / "data")
os.environ["DATABASE_URL"] = ""
os.environ["SP404_TASKS_SYNC"] = "0"  # Analysis is queued, as under make run; no cluster runs.
# Keep the compiled-kernel cache of the real data directory, as make run does.
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / "data" / "numba-cache"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sp404site.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart  # noqa: E402

from bench import similarity as similarity_bench  # noqa: E402
from imports.models import Batch  # noqa: E402
from imports.sources import import_paths  # noqa: E402
from library import similarity  # noqa: E402
from library.models import Sample  # noqa: E402
from library.sound_views import clip_vector  # noqa: E402
from library.tasks import analyze_sample  # noqa: E402
from sp404site.warmup import warm_up  # noqa: E402
from tests import audiogen  # noqa: E402

RATE = 44100
BPM = 95
BARS = 4
TARGET_MS = 300.0
LIMIT = 30  # As the page asks.


def import_loop(owner, folder: Path) -> Sample:
    """A real drum loop, imported and analysed as a user's loop is."""
    folder.mkdir(parents=True, exist_ok=True)
    path = audiogen.write(folder / f"Beat {BPM}.wav", audiogen.drum_loop(BPM, BARS), RATE)
    batch = Batch.objects.start(owner, source=Batch.Source.FOLDER, name="bench")
    import_paths(batch, [path])
    loop = Sample.objects.get(owner=owner, name=f"Beat {BPM}")
    if analyze_sample(loop.pk) != Sample.Status.READY:
        raise SystemExit("the drum loop could not be analysed")
    loop.refresh_from_db()
    return loop


def clip_bytes(audio: np.ndarray, seconds: float, format: str = "WAV") -> bytes:
    """The first seconds of the audio (repeated if shorter), in stereo, as a file's bytes."""
    frames = round(seconds * RATE)
    repeated = np.tile(audio, -(-frames // len(audio)))[:frames]
    buffer = io.BytesIO()
    subtype = "MPEG_LAYER_III" if format == "MP3" else "PCM_16"
    sf.write(buffer, audiogen.stereo(repeated), RATE, format=format, subtype=subtype)
    return buffer.getvalue()


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[round(0.95 * (len(ordered) - 1))]


def checked(response, status: int = 200):
    if response.status_code != status:
        raise SystemExit(f"{response.request['PATH_INFO']}: {response.status_code}, not {status}")
    return response


def found_ids(response) -> list[int]:
    """The samples a result page lists, nearest first."""
    return [int(pk) for pk in re.findall(r'<tr id="sample-(\d+)"', response.content.decode())]


class Query:
    """One clip, posted as a browser posts it: the multipart body is encoded once, so
    the time measured is the server's (parsing the upload included)."""

    def __init__(self, client: Client, name: str, data: bytes, query: str = ""):
        self.client, self.name, self.data = client, name, data
        self.url = "/sound-search/" + (f"?{query}" if query else "")
        upload = SimpleUploadedFile(name, data, content_type="audio/wav")
        self.body = encode_multipart(BOUNDARY, {"clip": upload})

    def post(self):
        # An equal string, not the constant itself: the client then sends the body as it is.
        content_type = "".join(MULTIPART_CONTENT)
        response = self.client.post(self.url, self.body, content_type=content_type)
        if not found_ids(checked(response)):
            raise SystemExit(f"{self.name}: the search found nothing")
        return response

    def vector(self):
        vector, problem = clip_vector(SimpleUploadedFile(self.name, self.data))
        if problem:
            raise SystemExit(f"{self.name}: {problem}")
        return vector


def alternate(repeat: int, call, baseline) -> tuple[list[float], list[float]]:
    """Time the call and its baseline in turns, so both see the same state of the machine."""
    times, base = [], []
    for _ in range(repeat):
        base.append(timed(baseline))
        times.append(timed(call))
    return times, base


def row(label: str, times: list[float], base: list[float] | None, target: bool = False) -> None:
    p50, p95 = percentiles(times)
    line = f"{label:<52}{p50:>8.1f}{p95:>8.1f}{max(times):>8.1f}"
    if base:
        base50, base95 = percentiles(base)
        line += f"{base50:>10.1f}{base95:>10.1f}{p50 / base50:>8.2f}x"
    else:
        line += " " * 28
    if target:
        line += "  ok" if p95 < TARGET_MS else f"  over {TARGET_MS:.0f} ms at p95"
    print(line)


def peak_memory_mb(call) -> float:
    """The most memory Python and numpy held at once during the call, above what they held."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def run(samples: int, repeat: int) -> None:
    logging.getLogger("django-q").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    started = time.perf_counter()
    owner = get_user_model().objects.create_user("bench", password="bench")
    centres = similarity_bench.prototypes()
    rng = np.random.default_rng(1)
    similarity_bench.add_samples(owner, similarity_bench.fake_vectors(samples, centres, rng), 0)
    loop = import_loop(owner, WORK / "audio")
    # Half the library as loops, for a search within filters.
    fake = Sample.objects.filter(owner=owner).exclude(pk=loop.pk)
    fake.filter(pk__in=fake.order_by("pk").values("pk")[: samples // 2]).update(kind="loop")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    similarity.save(similarity.owner_index(owner), similarity.index_path(owner.pk))
    similarity.forget_indexes()  # As a web process starts: the saved index file, no cache.
    total = Sample.objects.filter(owner=owner).count()
    print(f"filled {total:,} samples in {time.perf_counter() - started:.0f} s "
          f"(SQLite, test client)")  # fmt: skip

    audio = audiogen.drum_loop(BPM, BARS)
    excerpt = audio[round(1.3 * RATE) :]  # Starting between beats, not at the loop's start.
    client = Client()
    client.force_login(owner)
    five = Query(client, "loop excerpt 5s.wav", clip_bytes(excerpt, 5.0))
    warm_up()  # As the served app's wsgi module does at start.
    first_request = timed(five.post)
    picks = list(fake.order_by("?").values_list("pk", flat=True)[: repeat * 4])
    queue = itertools.cycle(picks)

    def similar_page(query: str = ""):
        return checked(client.get(f"/samples/{next(queue)}/similar/{query}"))

    for _ in range(3):  # Warm caches: templates, query plans, the index's pages.
        five.post(), similar_page()

    response = five.post()
    found = found_ids(response)
    rank = found.index(loop.pk) + 1 if loop.pk in found else None
    print(f"5 s clip: {len(five.data) / 1e6:.2f} MB WAV; the loop it was cut from ranks "
          f"{rank or f'below {LIMIT}'} of {len(found)}; first request of the process "
          f"(saved index, after warm_up): {first_request:.1f} ms")  # fmt: skip

    vector = five.vector()
    lookups = Sample.objects.in_bulk(picks)
    lookup_queue = itertools.cycle(picks)
    results = {}
    results["POST /sound-search/, 5 s clip (whole request)"] = alternate(
        repeat, five.post, similar_page
    )
    filtered = Query(client, five.name, five.data, "kind=loop")
    loops = Sample.objects.filter(owner=owner, kind="loop").count()
    results[f"  the same, within filters (?kind=loop: {loops:,})"] = alternate(
        repeat, filtered.post, lambda: similar_page("?kind=loop")
    )
    results["  decode + features (clip_vector)"] = (
        [timed(five.vector) for _ in range(repeat)],
        None,
    )
    results["  nearest lookup (sounds_like)"] = alternate(
        repeat,
        lambda: similarity.sounds_like(owner, vector, limit=LIMIT),
        lambda: similarity.similar_samples(owner, lookups[next(lookup_queue)], limit=LIMIT),
    )
    one_shot = Query(client, "snare.wav", clip_bytes(audiogen.snare(), 1.0))
    results["POST /sound-search/, 1 s one-shot"] = alternate(repeat, one_shot.post, similar_page)
    long = Query(client, "loop 30s.wav", clip_bytes(audio, 30.0))
    results["POST /sound-search/, 30 s WAV (all of it compared)"] = alternate(
        repeat, long.post, similar_page
    )
    song = Query(client, "song 5min.mp3", clip_bytes(audio, 300.0, "MP3"))
    song_times = alternate(max(3, repeat // 4), song.post, similar_page)
    results["POST /sound-search/, 5 min MP3 (first 30 s compared)"] = song_times
    memory = {query.name: peak_memory_mb(query.vector) for query in (five, long, song)}

    print(f"\nserver time, ms, {repeat} runs each after a warm-up; baseline: GET "
          f"/samples/<pk>/similar/ (similar_samples for the lookup) at the same size, "
          f"alternated with each run; target for the whole query: {TARGET_MS:.0f} ms")  # fmt: skip
    print(f"{'':<52}{'p50':>8}{'p95':>8}{'max':>8}{'base p50':>10}{'base p95':>10}"
          f"{'p50 x':>9}")  # fmt: skip
    for label, (times, base) in results.items():
        row(label, times, base, target=label.startswith("POST"))
    print("\ndecode + features, peak memory (tracemalloc, numpy included):")
    for query in (five, long, song):
        print(f"  {query.name:<24}{len(query.data) / 1e6:>7.1f} MB file"
              f"{memory[query.name]:>9.1f} MB peak")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    try:
        run(args.samples, args.repeat)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()

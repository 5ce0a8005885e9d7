"""Chop editor benchmark: server time of a loop's page with the editor, of a chop, of sending slices.

Generates a 4-bar drum loop (44.1 kHz, 16-bit) and imports and analyses it in a
fresh data directory with its own SQLite database, then times requests through
Django's test client:

- the loop's page, which carries the chop editor (without slices, then with 16);
- the editor's htmx POST that chops the loop into 16 equal parts (16 new slice
  rows, each queued for analysis), and the same chop again (nothing changes);
- POST /kits/send-slices/ putting the 16 slices on a bank's empty pads;
- one slice's audio, rendered as WAV from the loop's frames.

The baseline, timed in the same process, is the same page of the same sample
marked as a one-shot, which gets no editor: everything else on the page (player,
waveform, measurements, edit form) is the same. Runs alternate between the
measured request and its baseline so both see the same state of the machine.

    .venv/bin/python bench/chop.py [--repeat 30] [--bpm 95]
"""

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# A throwaway data directory and SQLite database, whatever the environment names.
WORK = Path(tempfile.mkdtemp(prefix="sp404-bench-chop-"))
os.environ["SP404_DATA_DIR"] = str(WORK / "data")
os.environ["DATABASE_URL"] = ""
os.environ["SP404_TASKS_SYNC"] = "0"  # Analysis is queued, as under make run; no cluster runs.
# Keep the compiled-kernel cache of the real data directory, as make run does.
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / "data" / "numba-cache"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sp404site.settings")

import django  # noqa: E402

django.setup()

import soundfile as sf  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from imports.models import Batch  # noqa: E402
from imports.sources import import_paths  # noqa: E402
from kits.models import Kit, KitPad  # noqa: E402
from library.models import Sample  # noqa: E402
from library.tasks import analyze_sample  # noqa: E402
from sp404site.warmup import warm_up  # noqa: E402
from tests import audiogen  # noqa: E402

RATE = 44100
BARS = 4
PARTS = 16
HTMX = {"HX-Request": "true", "HX-Target": "chop-editor"}


def import_loop(owner, folder: Path, bpm: float) -> Sample:
    """A real 4-bar drum loop, imported and analysed as a user's loop is."""
    folder.mkdir(parents=True, exist_ok=True)
    path = audiogen.write(folder / f"Beat {bpm:g}.wav", audiogen.drum_loop(bpm, BARS), RATE)
    batch = Batch.objects.start(owner, source=Batch.Source.FOLDER, name="bench")
    import_paths(batch, [path])
    loop = Sample.objects.get(owner=owner, parent=None)
    started = time.perf_counter()
    status = analyze_sample(loop.pk)
    loop.refresh_from_db()
    if status != Sample.Status.READY or loop.kind != Sample.Kind.LOOP or not loop.tempo_bpm:
        raise SystemExit(f"the loop was not analysed as a loop: {status}, {loop.kind}")
    info = sf.info(loop.file.path)
    print(f"loop: {BARS} bars at {bpm:g} BPM, {info.duration:.2f} s, {info.frames:,} frames "
          f"at {info.samplerate} Hz; analysed in {time.perf_counter() - started:.1f} s "
          f"(kind {loop.kind}, {loop.tempo_bpm:g} BPM found)")  # fmt: skip
    return loop


def set_kind(loop: Sample, kind: str) -> None:
    Sample.objects.filter(pk=loop.pk).update(kind=kind)


def timed(request) -> float:
    """Milliseconds of one request; the status it must answer is checked."""
    started = time.perf_counter()
    request()
    return (time.perf_counter() - started) * 1000


def checked(response, status: int):
    if response.status_code != status:
        raise SystemExit(f"{response.request['PATH_INFO']}: {response.status_code}, not {status}")
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    return response


def page(client: Client, loop: Sample):
    return lambda: checked(client.get(f"/samples/{loop.pk}/"), 200)


def chop(client: Client, loop: Sample, mode: str, parts: int = PARTS):
    url = f"/samples/{loop.pk}/chop/"
    data = {"mode": mode, "parts": parts, "snap": "on"}
    return lambda: checked(client.post(url, data, headers=HTMX), 200)


def send(client: Client, loop: Sample, kit: Kit, bank: str):
    slices = loop.slices.alive().order_by("start_frame").values_list("pk", flat=True)
    data = {"loop": loop.pk, "kit": kit.pk, "bank": bank, "slices": list(slices)}
    return lambda: checked(client.post("/kits/send-slices/", data), 302)


def audio(client: Client, sample: Sample):
    return lambda: checked(client.get(f"/samples/{sample.pk}/audio/"), 200)


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[round(0.95 * (len(ordered) - 1))]


def queries(request) -> int:
    with CaptureQueriesContext(connection) as captured:
        request()
    return len(captured)


def row(label: str, times: list[float], baseline: list[float], count: int) -> None:
    p50, p95 = percentiles(times)
    base50, base95 = percentiles(baseline)
    print(f"{label:<40}{p50:>8.1f}{p95:>8.1f}{base50:>10.1f}{base95:>10.1f}"
          f"{p50 / base50:>9.2f}x{p95 / base95:>8.2f}x{count:>9}")  # fmt: skip


def run(repeat: int, bpm: float) -> None:
    logging.getLogger("django-q").setLevel(logging.WARNING)  # one line per queued analysis
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    owner = get_user_model().objects.create_user("bench", password="bench")
    loop = import_loop(owner, WORK / "audio", bpm)
    kit = Kit.objects.create(owner=owner, name="Bench kit")
    warm_up()  # As the served app's wsgi module does at start.
    client = Client()
    client.force_login(owner)

    def one_shot():
        set_kind(loop, Sample.Kind.ONE_SHOT)

    def a_loop():
        set_kind(loop, Sample.Kind.LOOP)

    def cleared():
        a_loop()
        chop(client, loop, "clear")()

    def chopped():
        a_loop()
        if loop.slices.alive().count() != PARTS:
            chop(client, loop, "parts")()

    def empty_pads():
        chopped()
        KitPad.objects.filter(kit=kit).delete()

    baseline = page(client, loop)
    results: dict[str, tuple[list[float], list[float], int]] = {}

    def measure(label, prepare, request):
        """Time the request after its preparation, alternating with the baseline page."""
        times, base = [], []
        for _ in range(repeat):
            one_shot()
            base.append(timed(baseline))
            prepare()
            times.append(timed(request))
        prepare()
        results[label] = (times, base, queries(request))

    for _ in range(3):  # warm caches: templates, the loop file, the first query plans
        one_shot(), baseline(), cleared(), chopped(), baseline()
    first = loop.slices.alive().order_by("start_frame").first()
    measure("loop page, editor, no slices", cleared, page(client, loop))
    measure(f"loop page, editor, {PARTS} slices", chopped, page(client, loop))
    measure(f"POST chop into {PARTS} (new slices)", cleared, chop(client, loop, "parts"))
    measure(f"POST chop into {PARTS} again (same)", chopped, chop(client, loop, "parts"))
    chopped()
    measure(f"POST send {PARTS} slices to a bank", empty_pads, send(client, loop, kit, "B"))
    first = loop.slices.alive().order_by("start_frame").first()
    measure("GET one slice's audio (WAV)", chopped, audio(client, first))

    if sorted(kit.pads.values_list("pad_number", flat=True)) != list(range(1, PARTS + 1)):
        raise SystemExit("the slices did not land on pads 1-16")
    slices = loop.slices.alive().count()
    one_shot()
    baseline_queries = queries(baseline)
    print(f"\nserver time per request, {repeat} runs each, ms (test client, "
          f"{connection.vendor}); baseline: the same sample's page as a one-shot, "
          f"no editor ({baseline_queries} queries); {slices} slices at the end")  # fmt: skip
    print(f"{'request':<40}{'p50':>8}{'p95':>8}{'base p50':>10}{'base p95':>10}"
          f"{'p50 x':>10}{'p95 x':>9}{'queries':>9}")  # fmt: skip
    for label, (times, base, count) in results.items():
        row(label, times, base, count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--bpm", type=float, default=95.0)
    args = parser.parse_args()
    try:
        run(args.repeat, args.bpm)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Load benchmark: browsing clients against the served app while an import is analysed.

Serves the app as `make run` does (migrate, collectstatic, remove_leftovers,
warm_analysis, then `manage.py serve`: gunicorn and the django-q2 cluster) on
127.0.0.1 in a fresh data directory, on SQLite, or on a database of its own next
to the one DATABASE_URL names, with the ORM broker or (--redis) an empty Redis
database. The library is filled first with realistic rows (bench/library.py's
fill) and real audio files for the samples that get auditioned.

It times an import of --files real one-shots until every one is analysed, with
no other load; then --clients logged-in clients browse for --seconds (filters,
searches, sample pages, auditions, find-similar, kit edits, each client pausing
a random 0-2x --think seconds between actions) while a second import of the
same size is analysed. It prints per kind of request the count, errors, p50,
p95 and max, the import time under load against the baseline, and the targets.

    .venv/bin/python bench/load.py [--samples 20000] [--files 300] [--clients 20]
        [--seconds 60] [--think 1.0] [--redis] [--keep]
    .venv/bin/python bench/load.py --samples 2000 --files 40 --clients 5 --seconds 10
"""

import argparse
import contextlib
import logging
import os
import random
import re
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_setup import (  # noqa: E402
    Plan,
    Server,
    fill_library,
    free_port,
    generate,
    machine_busy_seconds,
    manage,
    postgres_database,
    redis_database,
    spawn,
)

USERNAME = PASSWORD = "bench"  # What bench/library.py's fill() creates.
PARTIAL = {"HX-Request": "true", "HX-Target": "results"}
# How long an import may take to be analysed before the benchmark gives up on it.
IMPORT_WAIT_MAX = 900
TARGET_P95_MS = 300
TARGET_RATIO = 2.0
ANALYSED = ("ready", "failed")


class Import:
    """`manage.py import_samples` of a folder, finished when its every sample is analysed."""

    def __init__(self, env: dict, folder: Path, hashes: list[str]):
        from django.contrib.auth import get_user_model

        from library.models import Sample

        self.samples = Sample.objects.filter(
            owner=get_user_model().objects.get(username=USERNAME), sha256__in=hashes
        )
        self.count = len(hashes)
        self.log = folder.with_suffix(".log")
        self.started = time.perf_counter()
        self.stored = self.seconds = None
        self.process = spawn(env, "import_samples", str(folder), "--user", USERNAME, log=self.log)

    def finished(self) -> bool:
        """Whether the command is done and every sample analysed (ready or failed); notes when."""
        if self.seconds is not None:
            return True
        exit_code = self.process.poll()
        if exit_code not in (None, 0):
            raise RuntimeError(f"import_samples failed:\n{self.log.read_text()}")
        if exit_code == 0 and self.stored is None:
            self.stored = time.perf_counter() - self.started
        if self.stored is None or self.samples.filter(status__in=ANALYSED).count() < self.count:
            return False
        self.seconds = time.perf_counter() - self.started
        return True

    def wait(self) -> float:
        deadline = time.monotonic() + IMPORT_WAIT_MAX
        try:
            while not self.finished():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.count} files not analysed in {IMPORT_WAIT_MAX} s")
                time.sleep(0.25)
        finally:
            self.stop()
        return self.seconds

    def failed(self) -> int:
        return self.samples.filter(status="failed").count()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


class Visitor:
    """One browser: its own session, doing a mix of actions and timing every request."""

    # Action: relative weight (an audition is two requests: the audio and "played").
    MIX = {
        "first_page": 5, "filter": 25, "search": 12, "detail": 10, "audition": 20,
        "similar": 6, "kit_page": 5, "assign": 10, "clear": 4,
    }  # fmt: skip

    def __init__(self, base_url: str, plan: Plan, number: int, think: float):
        from bench.library import FILTERS, SEARCHES

        self.filters, self.searches = FILTERS, SEARCHES
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.rng = random.Random(number)
        self.plan, self.think = plan, think
        self.kit = plan.kit_ids[number]
        self.times = defaultdict(list)
        self.errors = defaultdict(list)
        self.retried = defaultdict(int)

    def log_in(self) -> None:
        """Through the login form, as a browser does; then one warm-up page."""
        form = self.http.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)[1]
        credentials = {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token}
        response = self.http.post("/accounts/login/", data=credentials)
        if response.status_code != 302:
            raise RuntimeError(f"login answered {response.status_code}")
        self.http.get("/", params=self.rng.choice(self.filters), headers=PARTIAL)

    def browse(self, stop: threading.Event) -> None:
        actions, weights = zip(*self.MIX.items(), strict=True)
        while not stop.is_set():
            getattr(self, self.rng.choices(actions, weights)[0])()
            stop.wait(self.rng.uniform(0, 2 * self.think))
        self.http.close()

    def request(self, kind, method, url, expect=200, **options) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = self.send(kind, method, url, **options)
            error = None if response.status_code == expect else f"HTTP {response.status_code}"
        except httpx.HTTPError as failure:
            response, error = None, f"{type(failure).__name__}: {failure}"
        self.times[kind].append((time.perf_counter() - started) * 1000)
        if error:
            self.errors[kind].append(error)
        return response

    def send(self, kind, method, url, **options) -> httpx.Response:
        """Send once more, as browsers do, when the server closed the kept-alive connection
        just as the request went out (gunicorn closes idle ones after 2 s)."""
        try:
            return self.http.request(method, url, **options)
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
            self.retried[kind] += 1
            return self.http.request(method, url, **options)

    def post(self, kind, url, data=None, expect=200, target=None) -> httpx.Response | None:
        """A POST as htmx sends it: the CSRF token in a header, the target's id."""
        headers = {"X-CSRFToken": self.http.cookies.get("csrftoken", "")}
        if target:
            headers |= {"HX-Request": "true", "HX-Target": target}
        return self.request(kind, "POST", url, expect, data=data, headers=headers)

    def first_page(self):
        self.request("first page (full)", "GET", "/")

    def filter(self):
        self.request(
            "filters (partial)", "GET", "/", params=self.rng.choice(self.filters), headers=PARTIAL
        )

    def search(self):
        self.request(
            "search (partial)",
            "GET",
            "/",
            params={"q": self.rng.choice(self.searches)},
            headers=PARTIAL,
        )

    def detail(self):
        self.request("sample detail", "GET", f"/samples/{self.rng.choice(self.plan.sample_ids)}/")

    def audition(self):
        """What the player does: fetch the audio from its start, then note the play."""
        sample = self.rng.choice(self.plan.audition_ids)
        headers = {"Range": "bytes=0-"}
        self.request("audition (audio)", "GET", f"/samples/{sample}/audio/", 206, headers=headers)
        self.post("played (POST)", f"/samples/{sample}/played/", expect=204)

    def similar(self):
        self.request(
            "find similar", "GET", f"/samples/{self.rng.choice(self.plan.sample_ids)}/similar/"
        )

    def kit_page(self):
        self.request("kit page", "GET", f"/kits/{self.kit}/")

    def pad(self) -> dict:
        return {"bank": self.rng.choice("ABCDEFGHIJ"), "pad_number": self.rng.randint(1, 16)}

    def assign(self):
        data = {**self.pad(), "sample": self.rng.choice(self.plan.sample_ids)}
        self.kit_post("kit assign (POST)", "assign", data)

    def clear(self):
        self.kit_post("kit clear (POST)", "clear", self.pad())

    def kit_post(self, kind, action, data):
        """A pad change posted at the pad; the app reports a refusal as a client event."""
        target = f"pad-{data['bank']}-{data['pad_number']}"
        response = self.post(kind, f"/kits/{self.kit}/pads/{action}/", data, target=target)
        if response is not None and "kits:error" in response.headers.get("HX-Trigger", ""):
            self.errors[kind].append(f"refused: {response.headers['HX-Trigger']}")


def environment(stack: contextlib.ExitStack, work: Path, redis: bool) -> dict:
    """The run's environment, for the app's processes and this one (before Django starts)."""
    admin_url = os.environ.get("DATABASE_URL", "").strip()
    env = {
        **os.environ,
        "SP404_DATA_DIR": str(work / "data"),
        "DATABASE_URL": stack.enter_context(postgres_database(admin_url)) if admin_url else "",
        "SP404_REDIS_URL": stack.enter_context(redis_database()) if redis else "",
    }
    # Keep the compiled-kernel cache of the real data directory, as make run does.
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / "data" / "numba-cache"))
    os.environ.update(env)
    return env


def main():
    """Parse the options and run the benchmark in a temporary directory, removed after."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20_000, help="library rows to fill")
    parser.add_argument("--files", type=int, default=300, help="one-shots per import")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60, help="of load, at least")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between actions")
    parser.add_argument("--redis", action="store_true", help="Redis as the task broker")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Not a line per request.
    work = Path(tempfile.mkdtemp(prefix="sp404-bench-load-"))
    try:
        with contextlib.ExitStack() as stack:
            env = environment(stack, work, args.redis)
            run(env, work, args)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(env: dict, work: Path, args) -> None:
    """Prepare the library and the server, time both imports and the clients, then report."""
    # One analysis task (16 samples, every kind of sound) per worker: each has imported
    # the analysis engine and loaded every compiled kernel before the baseline.
    warm_up = 16 * int(env.get("SP404_WORKERS", "2"))
    batches = (("warm-up", warm_up, 0), ("baseline", args.files, 1), ("loaded", args.files, 2))
    hashes = {name: generate(work / name, count, seed) for name, count, seed in batches}
    manage(env, "migrate", "--noinput")
    plan = fill_library(args.samples, args.clients)
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "remove_leftovers")
    manage(env, "warm_analysis")
    server = Server(env, free_port(), work / "serve.log")
    try:
        server.start()
        print(f"serving on {server.url}")
        Import(env, work / "warm-up", hashes["warm-up"]).wait()  # The cluster is up and warm.
        cpu = cpu_seconds(server)
        baseline = Import(env, work / "baseline", hashes["baseline"])
        baseline.wait()
        baseline_cpu = spent(cpu, cpu_seconds(server), baseline.seconds)
        print(f"baseline import analysed in {baseline.seconds:.1f} s; now under load")
        visitors, loaded, load_seconds, loaded_cpu = load(server, env, work, hashes, plan, args)
    finally:
        server.stop()
        from django.db import connections

        connections.close_all()
    print_header(env, args, load_seconds)
    print_requests(visitors, load_seconds)
    print_import(baseline, loaded, baseline_cpu, loaded_cpu, args)
    print_hints(server)
    print_targets(visitors, baseline, loaded)


def load(server: Server, env, work, hashes, plan, args):
    """Clients browse for --seconds, and on until the second import is analysed."""
    visitors = [Visitor(server.url, plan, number, args.think) for number in range(args.clients)]
    stop = threading.Event()
    with ThreadPoolExecutor(args.clients) as pool:
        list(pool.map(Visitor.log_in, visitors))
        cpu = cpu_seconds(server)
        started = time.perf_counter()
        browsing = [pool.submit(visitor.browse, stop) for visitor in visitors]
        job = Import(env, work / "loaded", hashes["loaded"])
        try:
            while True:
                done = job.finished()
                elapsed = time.perf_counter() - started
                if elapsed >= args.seconds and (done or elapsed >= args.seconds + IMPORT_WAIT_MAX):
                    break
                time.sleep(0.25)
        finally:
            stop.set()
            elapsed = time.perf_counter() - started
            for future in browsing:
                future.result()
            job.stop()
    return visitors, job, elapsed, spent(cpu, cpu_seconds(server), elapsed)


def cpu_seconds(server: Server) -> dict[str, float]:
    """CPU seconds so far of serve's web and worker groups, the clients, the import command,
    and the whole machine (other benchmarks may share it)."""
    clients = resource.getrusage(resource.RUSAGE_SELF)
    # The import command is this process's only child while serving, once it is reaped.
    command = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        **server.cpu_seconds(),
        "clients": clients.ru_utime + clients.ru_stime,
        "import command": command.ru_utime + command.ru_stime,
        "machine": machine_busy_seconds(),
    }


def spent(before: dict, after: dict, seconds: float) -> str:
    """CPU used in a stretch of `seconds`, in cores on average, ours and other processes'."""
    cores = {name: (after[name] - before.get(name, 0)) / seconds for name in after}
    machine = cores.pop("machine")
    # The PostgreSQL and Redis servers count here, with whatever else the machine runs.
    cores["other processes"] = max(0.0, machine - sum(cores.values()))
    ours = ", ".join(f"{name} {value:.2f}" for name, value in cores.items())
    return f"{ours}; machine {machine:.2f} of {os.cpu_count()}"


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def merged(visitors) -> dict[str, tuple[list[float], list[str]]]:
    kinds = sorted({kind for visitor in visitors for kind in visitor.times})
    return {
        kind: (
            sorted(t for visitor in visitors for t in visitor.times[kind]),
            [e for visitor in visitors for e in visitor.errors[kind]],
        )
        for kind in kinds
    }


def print_header(env, args, load_seconds):
    database = "PostgreSQL (sp404_bench_load)" if env["DATABASE_URL"] else "SQLite"
    broker = f"Redis {env['SP404_REDIS_URL']}" if env["SP404_REDIS_URL"] else "ORM broker"
    web_workers, task_workers = env.get("SP404_WEB_WORKERS", "2"), env.get("SP404_WORKERS", "2")
    print(
        f"\nload: {args.clients} clients for {load_seconds:.0f} s (pauses 0-{2 * args.think:g} s), "
        f"{args.samples:,} samples, {database}, {broker}; gunicorn {web_workers} workers x 4 "
        f"threads, {task_workers} task workers, {os.cpu_count()} CPUs"
    )


def print_requests(visitors, load_seconds):
    print(f"\n{'request':<22}{'count':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    everything, error_count = [], 0
    for kind, (times, errors) in merged(visitors).items():
        everything += times
        error_count += len(errors)
        print(f"{kind:<22}{row(times, len(errors))}")
    everything.sort()
    print(f"{'all':<22}{row(everything, error_count)}")
    retried = sum(sum(visitor.retried.values()) for visitor in visitors)
    print(
        f"throughput: {len(everything) / load_seconds:.1f} requests/s; errors: {error_count};"
        f" sent again after the server closed an idle connection: {retried}"
    )
    for kind, (_times, errors) in merged(visitors).items():
        for error, count in sorted({e: errors.count(e) for e in errors}.items())[:5]:
            print(f"  {kind}: {count} x {error}")


def row(times: list[float], errors: int) -> str:
    p50, p95 = statistics.median(times), percentile(times, 0.95)
    return f"{len(times):>7}{errors:>8}{p50:>9.0f}{p95:>9.0f}{times[-1]:>9.0f}"


def print_import(baseline: Import, loaded: Import, baseline_cpu, loaded_cpu, args):
    print(f"\nimport of {args.files} one-shots until all are analysed:")
    print(
        f"  baseline, no load: {baseline.seconds:7.1f} s  (rows stored at {baseline.stored:.1f} s;"
        f" {args.files / baseline.seconds:.1f} files/s,"
        f" {baseline.failed()} failed; CPU cores: {baseline_cpu})"
    )
    if loaded.seconds is None:
        print("  under load:        not analysed before the benchmark gave up")
        return
    print(
        f"  under load:        {loaded.seconds:7.1f} s  (rows stored at {loaded.stored:.1f} s;"
        f" {args.files / loaded.seconds:.1f} files/s,"
        f" {loaded.failed()} failed; CPU cores over the load: {loaded_cpu})"
    )
    print(f"  ratio under load / baseline: {loaded.seconds / baseline.seconds:.2f}x")


def print_hints(server: Server):
    counts = {
        text: server.log_count(text)
        for text in ("Traceback", "database is locked", "WORKER TIMEOUT", "Internal Server Error")
    }
    print("server log: " + ", ".join(f"{count} x {text!r}" for text, count in counts.items()))


def print_targets(visitors, baseline: Import, loaded: Import):
    requests = merged(visitors)
    slow = [
        f"{kind} {percentile(times, 0.95):.0f} ms"
        for kind, (times, _errors) in requests.items()
        if percentile(times, 0.95) >= TARGET_P95_MS
    ]
    errors = sum(len(errors) for _times, errors in requests.values())
    ratio = loaded.seconds / baseline.seconds if loaded.seconds else float("inf")
    print("\ntargets:")
    print(f"  p95 < {TARGET_P95_MS} ms for every kind: {verdict(not slow, ', '.join(slow))}")
    print(f"  zero errors: {verdict(not errors, f'{errors} errors')}")
    print(
        f"  import under load <= {TARGET_RATIO:g}x baseline: {verdict(ratio <= TARGET_RATIO, f'{ratio:.2f}x')}"
    )


def verdict(met: bool, detail: str) -> str:
    return "met" if met else f"MISSED ({detail})"


if __name__ == "__main__":
    main()

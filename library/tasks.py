"""Background work for the library, run by the django-q2 cluster.

Tasks take primitive ids, are safe to run twice (delivery is at-least-once),
and record their state on the models; the pages read only that state.
"""

import logging
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task
from threadpoolctl import threadpool_limits

from core.models import SitePreferences
from library.audio import NEEDS_PREVIEW, make_stretched
from library.audio import make_preview as write_preview
from library.models import DuplicateScan, Sample
from library.signals import analysed

logger = logging.getLogger(__name__)
# The analysis engine (librosa, numba) and what builds on it (similarity,
# corrections, duplicates) are imported inside the tasks that need them: web
# processes import this module to queue work, and would otherwise pay 0.7 s at
# start (13 s before numba's cache is warm) for code only the worker runs.

# Several samples per task keep the queue's own overhead small next to the
# analysis of short one-shots.
ANALYSIS_CHUNK = 16
STRANDED_BATCH = 5000  # At most this many per sweep; the next sweep takes the rest.


def prepare_worker(**kwargs) -> None:
    """Ready a worker process of the cluster for analysis, as it starts (django-q2's post_spawn)."""
    from library.analysis.warm import warm_up

    try:
        # Before the first task: about a second even with numba's cache warm.
        warm_up()
    except Exception:  # Only a head start: the first analysis loads what is missing.
        logger.exception("Could not warm the analysis engine up")
    # After warming up, which loads scipy's own OpenBLAS beside numpy's. The
    # cluster runs a worker per core, and the analysis multiplies small matrices
    # (tens of frames by 1,025 bins) that threads cannot speed up: with
    # OpenBLAS's default of a thread per core, two workers analysing one-shots
    # on two cores took 30-40 ms a sample instead of 13, their threads waiting
    # for cores the other worker held.
    threadpool_limits(limits=1, user_api="blas")


def queue_analysis(sample_ids, *, force: bool = False) -> None:
    """Analyse these samples in the background once the current transaction commits."""
    sample_ids = list(sample_ids)
    if not sample_ids:
        return
    if not force and not SitePreferences.load().auto_extract_features:
        return

    def enqueue():
        for start in range(0, len(sample_ids), ANALYSIS_CHUNK):
            chunk = sample_ids[start : start + ANALYSIS_CHUNK]
            async_task("library.tasks.analyze_samples", chunk, group="analysis")

    transaction.on_commit(enqueue)


def queue_preview(sample: Sample) -> None:
    """Make a browser-playable copy in the background when browsers cannot play the original."""
    if sample.format in NEEDS_PREVIEW and not sample.preview:
        transaction.on_commit(lambda: async_task("library.tasks.make_preview", sample.pk))


def make_preview(sample_id: int) -> str:
    """Write the preview once per content and point every sample of that content at it."""
    sample = Sample.objects.filter(pk=sample_id).first()
    if sample is None:
        return "skipped"
    name = write_preview(Path(sample.file.path), sample.sha256)
    # Slices play their own frames, never the whole file's preview.
    Sample.objects.filter(sha256=sample.sha256, parent__isnull=True).update(preview=name)
    return name


def queue_stretch(sample: Sample, bpm: float) -> None:
    async_task("library.tasks.make_stretched_preview", sample.pk, bpm, group="stretch")


def make_stretched_preview(sample_id: int, bpm: float) -> str:
    """Write a loop's preview at another tempo (kept per content, range and tempo)."""
    sample = Sample.objects.filter(pk=sample_id).first()
    if sample is None or not sample.tempo_bpm:
        return "skipped"
    return make_stretched(sample, bpm)


def requeue_analysis(samples) -> int:
    """Mark samples for (re-)analysis and queue them; returns how many."""
    ids = list(samples.values_list("pk", flat=True))
    Sample.objects.filter(pk__in=ids).update(
        status=Sample.Status.PENDING, error="", updated_at=timezone.now()
    )
    queue_analysis(ids, force=True)
    return len(ids)


def requeue_stranded() -> int:
    """Queue again the samples left waiting longer than the queue retries (scheduled).

    A sample stored just before a crash was never queued; one claimed by a
    worker that died more often than the queue retries stays "analysing". With
    automatic analysis off, samples waiting since their import are left as
    they are; those being analysed were asked for, and are queued again.
    """
    ids = list(stranded_samples().values_list("pk", flat=True)[:STRANDED_BATCH])
    if ids:
        logger.warning("Queueing %s samples again that were left waiting", len(ids))
        Sample.objects.filter(pk__in=ids).update(
            status=Sample.Status.PENDING, updated_at=timezone.now()
        )
        queue_analysis(ids, force=True)
    return len(ids)


def stranded_samples():
    """Live samples waiting longer than the queue retries (see requeue_stranded)."""
    cluster = settings.Q_CLUSTER
    waited = timezone.now() - timedelta(seconds=cluster["retry"] * cluster["max_attempts"])
    waiting = [Sample.Status.ANALYZING]
    if SitePreferences.load().auto_extract_features:
        waiting.append(Sample.Status.PENDING)
    return Sample.objects.alive().filter(status__in=waiting, updated_at__lt=waited)


def analyze_samples(sample_ids: list[int]) -> None:
    """Analyse several samples, then write the owner's similarity index once all are done."""
    analysed_now(sample_ids)
    owners = Sample.objects.filter(pk__in=sample_ids).values_list("owner_id", flat=True)
    for owner_id in set(owners):
        save_similarity_index_when_done(owner_id)


def save_similarity_index_when_done(owner_id: int) -> None:
    """Once an import's analysis is all done, write the owner's similarity index file,
    so that find-similar in a fresh web process starts from it rather than rebuilding."""
    from library import similarity

    waiting = [Sample.Status.PENDING, Sample.Status.ANALYZING]
    if Sample.objects.filter(owner_id=owner_id, status__in=waiting, deleted_at=None).exists():
        return
    owner = get_user_model().objects.filter(pk=owner_id).first()
    if owner is None:
        return
    try:
        similarity.save_now(owner)
    except Exception:  # Only a cache: the analysis it follows has succeeded.
        logger.exception("Could not save the similarity index of user %s", owner_id)


def analyze_sample(sample_id: int) -> str:
    """Analyse one stored sample and save what was measured; returns its final status."""
    return analysed_now([sample_id])[sample_id]


def analysed_now(sample_ids: list[int]) -> dict[int, str]:
    """Analyse stored samples one by one and save what was measured for all of them at once;
    returns each one's final status. A sample that fails to analyse fails alone.

    Saved one by one, a one-shot's bookkeeping (the sample read, marked, checked against
    the user's corrections, then its features and row written in a transaction of their
    own) took longer than its analysis: 7 of 14 ms.
    """
    from library import corrections
    from library.analysis import load_audio

    statuses = dict.fromkeys(sample_ids, "skipped")
    # Ready already: a repeated delivery of work done. Missing: deleted meanwhile.
    samples = list(Sample.objects.filter(pk__in=sample_ids).exclude(status=Sample.Status.READY))
    Sample.objects.filter(pk__in=[sample.pk for sample in samples]).update(
        status=Sample.Status.ANALYZING, error="", updated_at=timezone.now()
    )
    heard = corrections.Corrections()
    results = {}
    # A loop's slices come in one batch: its file is decoded once for all of them.
    decode = lru_cache(maxsize=1)(load_audio)
    for sample in samples:
        result = measured(sample, decode)
        if result is None:
            statuses[sample.pk] = Sample.Status.FAILED
        else:
            results[sample.pk] = heard(sample, result)
    for sample in Sample.objects.filter(pk__in=results).apply_analyses(results):
        statuses[sample.pk] = Sample.Status.READY
        analysed.send(sender=Sample, sample=sample)
    return statuses


def measured(sample: Sample, decode=None):
    """The analysis of a sample's audio, or None once the sample is marked failed.

    A slice is its loop's frames, analysed from the sound alone: the loop's
    file and folder names describe the loop, not the hit cut from it.
    """
    from library.analysis import AnalysisError, analyze_decoded, load_audio

    tempo_range = (settings.TEMPO_MIN_BPM, settings.TEMPO_MAX_BPM)
    try:
        decoded = (decode or load_audio)(sample.file.path)
        if sample.parent_id is not None:
            decoded = decoded.cut(sample.start_frame, sample.end_frame)
            return analyze_decoded(decoded, tempo_range=tempo_range)
        return analyze_decoded(
            decoded,
            name_hint=sample.original_filename,
            folder_hint=sample.source_path,
            tempo_range=tempo_range,
        )
    except AnalysisError as error:
        mark_failed(sample.pk, str(error))
    except Exception as error:
        logger.exception("Analysis of sample %s crashed", sample.pk)
        mark_failed(sample.pk, f"Analysis stopped with an internal error: {error}")
    return None


def mark_failed(sample_id: int, message: str) -> str:
    Sample.objects.filter(pk=sample_id).update(
        status=Sample.Status.FAILED, error=message[:2000], analyzed_at=timezone.now()
    )
    return Sample.Status.FAILED


def queue_duplicate_scan(owner) -> DuplicateScan:
    """The user's running scan, or a new one queued once the transaction commits.

    A scan left active longer than the queue would keep retrying it lost its
    worker for good: it is marked failed so that a new one can start.
    """
    cluster = settings.Q_CLUSTER
    stale = timezone.now() - timedelta(seconds=cluster["retry"] * cluster["max_attempts"])
    DuplicateScan.objects.owned_by(owner).active().filter(created_at__lt=stale).update(
        status=DuplicateScan.Status.FAILED,
        error="The comparison stopped: its worker ended before it finished.",
        finished_at=timezone.now(),
    )
    running = DuplicateScan.objects.owned_by(owner).active().first()
    if running is not None:
        return running
    try:
        with transaction.atomic():
            scan = DuplicateScan.objects.create(owner=owner)
    except IntegrityError:  # Another request started one a moment ago.
        return DuplicateScan.objects.owned_by(owner).active().get()
    transaction.on_commit(lambda: async_task("library.tasks.scan_duplicates", scan.pk))
    return scan


def scan_duplicates(scan_id: int) -> str:
    """Compare the owner's candidate pairs, recording progress and then the groups found.

    A repeated delivery of a finished scan does nothing; one whose first run
    died starts again from the beginning.
    """
    from library.duplicates import find_duplicates

    scan = DuplicateScan.objects.select_related("owner").filter(pk=scan_id).first()
    if scan is None or scan.is_finished:
        return "skipped"
    DuplicateScan.objects.filter(pk=scan_id).update(
        status=DuplicateScan.Status.RUNNING, started_at=timezone.now(), checked_pairs=0
    )

    def progress(checked: int, candidates: int, samples: int) -> None:
        DuplicateScan.objects.filter(pk=scan_id).update(
            checked_pairs=checked, candidate_pairs=candidates, samples_compared=samples
        )

    try:
        groups = find_duplicates(scan.owner, progress)
    except Exception as error:
        logger.exception("Duplicate scan %s crashed", scan_id)
        DuplicateScan.objects.filter(pk=scan_id).update(
            status=DuplicateScan.Status.FAILED,
            error=f"The comparison stopped with an internal error: {error}"[:2000],
            finished_at=timezone.now(),
        )
        return DuplicateScan.Status.FAILED
    DuplicateScan.objects.filter(pk=scan_id).update(
        status=DuplicateScan.Status.DONE,
        groups=[{"reason": g.reason, "sample_ids": list(g.sample_ids)} for g in groups],
        finished_at=timezone.now(),
    )
    return DuplicateScan.Status.DONE

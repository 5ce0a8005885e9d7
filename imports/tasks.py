"""Background work of imports: downloading links, and telling the library how a sample arrived."""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db.models import Max
from django.db.models.functions import Coalesce, Greatest
from django.dispatch import receiver
from django.utils import timezone

from core.integrity import Problem, register
from imports.models import Batch
from imports.sources import import_url
from library.models import Sample
from library.signals import analysed, arrived


def import_url_task(batch_id: int) -> str:
    """Download and import a link; a repeated delivery of a finished batch does nothing."""
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None or batch.is_finished:
        return "skipped"
    if batch.items.exists():
        # An earlier delivery died part-way: start the count again. Files it
        # stored are found again as already in the library.
        batch.restart()
    return import_url(batch).status


ABANDONED = (
    "The import stopped: nothing arrived for {minutes} minutes (the page was closed, "
    "or the server restarted). The files listed here were imported."
)


def close_abandoned() -> int:
    """Close the batches nothing has happened to for longer than the queue retries (scheduled).

    A browser upload whose tab was closed, or a link whose task the cluster
    killed, would otherwise stay "running" for good.
    """
    closed = 0
    for batch in abandoned_batches():
        close(batch)
        closed += 1
    return closed


def quiet_time() -> timedelta:
    """Longer than the queue keeps retrying a task: nothing can still be at work."""
    cluster = settings.Q_CLUSTER
    return timedelta(seconds=cluster["retry"] * cluster["max_attempts"])


def abandoned_batches():
    last_sign = Greatest("started_at", Coalesce(Max("items__created_at"), "started_at"))
    return (
        Batch.objects.unfinished()
        .annotate(last_sign=Coalesce(last_sign, "created_at"))
        .filter(last_sign__lt=timezone.now() - quiet_time())
    )


def close(batch: Batch) -> None:
    batch.finish(error=ABANDONED.format(minutes=round(quiet_time().total_seconds() / 60)))


@register("imports")
def stuck_imports() -> list[Problem]:
    """Imports still "running" that nothing has happened to for longer than the queue retries."""
    return [
        Problem("imports", f"Import {batch.pk} ({batch.name}) stopped without closing.",
                partial(close, batch))
        for batch in abandoned_batches()
    ]  # fmt: skip


@receiver(analysed, sender=Sample)
def announce_arrival(sender, sample, **kwargs):
    """An imported sample has been analysed: say whether it came alone or in a batch."""
    batches = Batch.objects.filter(items__sample=sample).order_by("-created_at")
    batch = batches.values_list("source", "total_files").first()  # No model: this runs often.
    if batch is not None:
        # A browser upload of one file is a single import; anything else is a batch.
        alone = batch == (Batch.Source.UPLOAD, 1)
        arrived.send(sender=Batch, sample=sample, alone=alone)

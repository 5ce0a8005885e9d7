"""Describing samples' vibe in the background, on request or when they arrive."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django_q.tasks import async_task

from core.models import SitePreferences
from library.models import Sample
from library.signals import arrived
from vibe.models import VibeAnalysis
from vibe.service import VibeError, describe, is_configured

logger = logging.getLogger(__name__)


def queue_vibe(sample_ids, operation: str) -> int:
    """Describe these samples' vibe in the background once the transaction commits.

    Returns how many were queued; when vibe analysis is not set up, none are and
    nothing is recorded on the samples (setting it up is the app's state, not
    theirs): the caller says why.
    """
    sample_ids = list(sample_ids)
    if not is_configured():
        return 0
    VibeAnalysis.request(sample_ids)

    def enqueue():
        for sample_id in sample_ids:
            async_task("vibe.tasks.describe_vibe", sample_id, operation, group="vibe")

    transaction.on_commit(enqueue)
    return len(sample_ids)


@receiver(arrived)
def describe_arrival(sender, sample, alone: bool, **kwargs):
    """After an imported sample's analysis, describe its vibe when the preferences ask for it."""
    if not is_configured() or VibeAnalysis.objects.filter(sample=sample).exists():
        return
    preferences = SitePreferences.load()
    if preferences.auto_vibe_single if alone else preferences.auto_vibe_batch:
        queue_vibe([sample.pk], "single" if alone else "batch")


def describe_vibe(sample_id: int, operation: str) -> str:
    """Describe one sample's vibe; a repeated delivery of a claimed request does nothing."""
    # A claim older than the task timeout belongs to a run the cluster has killed:
    # this is its retry, so it takes the claim over.
    stale = timezone.now() - timedelta(seconds=settings.TASK_TIMEOUT)
    claimable = Q(status=VibeAnalysis.Status.PENDING) | Q(
        status=VibeAnalysis.Status.DESCRIBING, updated_at__lt=stale
    )
    claimed = (
        VibeAnalysis.objects.filter(claimable, sample_id=sample_id)
        .update(status=VibeAnalysis.Status.DESCRIBING, updated_at=timezone.now())
    )  # fmt: skip
    sample = Sample.objects.select_related("owner").filter(pk=sample_id).first()
    if not claimed or sample is None:
        return "skipped"
    try:
        describe(sample, operation)
    except VibeError as error:
        VibeAnalysis.fail(sample_id, str(error))
        return VibeAnalysis.Status.FAILED
    except Exception:
        logger.exception("Vibe description of sample %s crashed", sample_id)
        VibeAnalysis.fail(sample_id, "The description stopped with an internal error.")
        return VibeAnalysis.Status.FAILED
    return VibeAnalysis.Status.READY

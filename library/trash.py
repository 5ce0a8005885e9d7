"""Emptying the trash: samples go for good, and files no sample uses any more are deleted.

Whatever else holds a sample (a kit's pads) lets go of it on the ``purging``
signal, sent inside the transaction that deletes the sample.
"""

from django.db import transaction

from library.models import Sample
from library.signals import purging
from library.storage import delete_unreferenced

TRASH_DAYS = 30


def purge(samples) -> int:
    """Delete these samples for good; returns how many were purged."""
    purged = 0
    for sample in samples.select_related(None).iterator():
        if sample.parent_id and not Sample.objects.filter(pk=sample.pk).exists():
            continue  # A slice already gone with its loop, purged earlier in this loop.
        files = [name for name in (sample.file.name, sample.preview.name) if name]
        with transaction.atomic():
            # A loop's slices are its frames: they go with it, off their pads first.
            for part in [*sample.slices.all(), sample]:
                purging.send(sender=Sample, sample=part)
            sample.delete()
        transaction.on_commit(lambda files=files: delete_unreferenced(files))
        purged += 1
    return purged


def purge_expired() -> int:
    """Purge what has been in the trash longer than the retention period (scheduled daily)."""
    return purge(Sample.objects.purgeable(TRASH_DAYS))

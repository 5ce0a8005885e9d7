"""Emptying the trash: samples go for good, their pads are cleared, and unused files deleted."""

from django.db import transaction

from kits.models import KitPad, KitPadRemoval
from library.importing import delete_unreferenced
from library.models import Sample

TRASH_DAYS = 30


def purge(samples) -> int:
    """Delete these samples for good; returns how many were purged."""
    purged = 0
    for sample in samples.select_related(None).iterator():
        files = [name for name in (sample.file.name, sample.preview.name) if name]
        with transaction.atomic():
            clear_pads(sample)
            sample.delete()
        transaction.on_commit(lambda files=files: delete_unreferenced(files))
        purged += 1
    return purged


def clear_pads(sample: Sample) -> None:
    """Empty the pads that hold the sample, leaving a note on each kit."""
    pads = list(KitPad.objects.filter(sample=sample))
    KitPadRemoval.objects.bulk_create(
        KitPadRemoval(
            kit_id=pad.kit_id, bank=pad.bank, pad_number=pad.pad_number, sample_name=sample.name
        )
        for pad in pads
    )
    KitPad.objects.filter(pk__in=[pad.pk for pad in pads]).delete()


def purge_expired() -> int:
    """Purge what has been in the trash longer than the retention period (scheduled daily)."""
    return purge(Sample.objects.purgeable(TRASH_DAYS))

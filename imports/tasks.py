"""Background work of imports: downloading links, and telling the library how a sample arrived."""

from django.dispatch import receiver

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


@receiver(analysed, sender=Sample)
def announce_arrival(sender, sample, **kwargs):
    """An imported sample has been analysed: say whether it came alone or in a batch."""
    batch = Batch.objects.filter(items__sample=sample).order_by("-created_at").first()
    if batch is not None:
        # A browser upload of one file is a single import; anything else is a batch.
        alone = batch.source == Batch.Source.UPLOAD and batch.total_files == 1
        arrived.send(sender=Batch, sample=sample, alone=alone)

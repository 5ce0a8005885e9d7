"""What the library announces, and how it keeps each sample's search document in step with its tags.

Other apps hang their work on the library's signals rather than the library
calling them: the library knows nothing of kits, imports or vibe analysis.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from library.models import Sample, SampleTag, Tag

# A sample is about to be deleted for good (``sample``), inside the deleting transaction.
purging = Signal()
# A ``sample`` stays but leaves every pad it is on (its loop went to the trash with it).
released = Signal()
# An analysis of ``sample`` has been saved.
analysed = Signal()
# An imported ``sample`` has been analysed; ``alone`` when it came by itself, not in a batch.
arrived = Signal()


@receiver([post_save, post_delete], sender=SampleTag)
def reindex_tagged_sample(sender, instance, **kwargs):
    sample = Sample.objects.filter(pk=instance.sample_id).first()
    if sample is not None:
        sample.refresh_search_text()


@receiver(post_save, sender=Tag)
def reindex_renamed_tag(sender, instance, created, **kwargs):
    if not created:
        for sample in Sample.objects.filter(tags=instance):
            sample.refresh_search_text()

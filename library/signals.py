"""Keep each sample's search document in step with its tags."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from library.models import Sample, SampleTag, Tag


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

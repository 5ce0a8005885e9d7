"""What a language model said about a sample's mood, energy and texture."""

from django.db import models

from library.models.samples import null_or_between

UNIT_INTERVAL_FIELDS = ("energy", "danceability", "acousticness", "instrumentalness", "confidence")


class VibeAnalysis(models.Model):
    """A language model's description of one sample, made from its measurements."""

    sample = models.OneToOneField(
        "library.Sample", on_delete=models.CASCADE, primary_key=True, related_name="vibe"
    )
    mood_primary = models.CharField(max_length=32, blank=True)
    mood_secondary = models.CharField(max_length=32, blank=True)
    energy = models.FloatField(null=True, blank=True)
    danceability = models.FloatField(null=True, blank=True)
    acousticness = models.FloatField(null=True, blank=True)
    instrumentalness = models.FloatField(null=True, blank=True)
    texture_tags = models.JSONField(default=list, blank=True)
    suggested_genre = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)
    model = models.CharField(max_length=128)
    confidence = models.FloatField(null=True, blank=True)
    processing_time_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "vibe analysis"
        verbose_name_plural = "vibe analyses"
        constraints = [
            models.CheckConstraint(
                condition=null_or_between(field, 0, 1), name=f"vibe_{field}_range"
            )
            for field in UNIT_INTERVAL_FIELDS
        ]
        indexes = [
            models.Index(fields=["mood_primary"], name="vibe_mood"),
            models.Index(fields=["energy"], name="vibe_energy"),
        ]

    def __str__(self):
        return f"Vibe of {self.sample}"

"""Vibe analysis: what a language model said about a sample, what models cost, what each call cost."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.models import COST_DIGITS
from library.models import SampleTag
from library.models.samples import null_or_between

UNIT_INTERVAL_FIELDS = ("energy", "danceability", "acousticness", "instrumentalness", "confidence")


class VibeStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be described"
    DESCRIBING = "describing", "Being described"
    READY = "ready", "Described"
    FAILED = "failed", "Description failed"


class VibeAnalysis(models.Model):
    """A language model's description of one sample, made from its measurements."""

    Status = VibeStatus

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
    # A failed or waiting run keeps the last good description alongside.
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "library_vibeanalysis"  # Tables keep the names earlier versions gave them.
        verbose_name = "vibe analysis"
        verbose_name_plural = "vibe analyses"
        constraints = [
            models.CheckConstraint(
                condition=null_or_between(field, 0, 1), name=f"vibe_{field}_range"
            )
            for field in UNIT_INTERVAL_FIELDS
        ] + [
            models.CheckConstraint(
                condition=Q(status__in=VibeStatus.values), name="vibe_status_valid"
            )
        ]
        indexes = [
            models.Index(fields=["mood_primary"], name="vibe_mood"),
            models.Index(fields=["energy"], name="vibe_energy"),
        ]

    def __str__(self):
        return f"Vibe of {self.sample}"

    @property
    def is_busy(self) -> bool:
        busy = self.status in {self.Status.PENDING, self.Status.DESCRIBING}
        return busy and not self.is_abandoned

    @property
    def is_abandoned(self) -> bool:
        """Claimed by a worker that ended without finishing, and not handed out again:
        a retry would have claimed it afresh within one retry period."""
        if self.status != self.Status.DESCRIBING or self.updated_at is None:
            return False
        retry = timedelta(seconds=settings.Q_CLUSTER["retry"])
        return self.updated_at < timezone.now() - 2 * retry

    @classmethod
    def request(cls, sample_ids) -> None:
        """Mark samples as waiting for a description (creating their rows)."""
        for sample_id in sample_ids:
            cls.objects.update_or_create(
                sample_id=sample_id, defaults={"status": cls.Status.PENDING, "error": ""}
            )

    @classmethod
    def fail(cls, sample_id: int, message: str) -> None:
        cls.objects.update_or_create(
            sample_id=sample_id, defaults={"status": cls.Status.FAILED, "error": message[:2000]}
        )

    @classmethod
    def record(cls, sample, result, *, model: str, processing_time_ms: int) -> "VibeAnalysis":
        """Store a checked description; what the user set by hand stays as it is."""
        values = {name: getattr(result, name) for name in (
            "mood_primary", "mood_secondary", "energy", "danceability", "acousticness",
            "instrumentalness", "confidence", "texture_tags", "suggested_genre", "description",
        )}  # fmt: skip
        vibe, _created = cls.objects.update_or_create(
            sample=sample,
            defaults={
                **values,
                "model": model,
                "processing_time_ms": processing_time_ms,
                "status": cls.Status.READY,
                "error": "",
            },
        )
        for tag in result.texture_tags:
            sample.add_tag(tag, source=SampleTag.Source.VIBE)
        sample.vibe = vibe  # The search document reads the fresh description.
        if result.suggested_genre and not sample.genre and not sample.genre_set_by_user:
            sample.genre = result.suggested_genre[:64]
            sample.save(update_fields=["genre", "updated_at"])
        sample.refresh_search_text()
        return vibe


class ModelPrice(models.Model):
    """What one language model costs, per million tokens."""

    model = models.CharField(max_length=128, unique=True)
    prompt_price_per_million = models.DecimalField(
        **COST_DIGITS, validators=[MinValueValidator(0)], help_text="USD"
    )
    completion_price_per_million = models.DecimalField(
        **COST_DIGITS, validators=[MinValueValidator(0)], help_text="USD"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "library_modelprice"
        ordering = ["model"]
        constraints = [
            models.CheckConstraint(
                condition=Q(prompt_price_per_million__gte=0, completion_price_per_million__gte=0),
                name="model_price_positive",
            )
        ]

    def __str__(self):
        return self.model

    def cost_of(self, prompt_tokens: int, completion_tokens: int) -> Decimal:
        million = Decimal(1_000_000)
        return (
            self.prompt_price_per_million * prompt_tokens
            + self.completion_price_per_million * completion_tokens
        ) / million


def month_start():
    """The start of the current calendar month in the installation's time zone."""
    now = timezone.localtime()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class ApiUsageQuerySet(models.QuerySet):
    def this_month(self):
        return self.filter(created_at__gte=month_start())

    def totals(self) -> dict:
        return self.aggregate(
            prompt_tokens=Sum("prompt_tokens"),
            completion_tokens=Sum("completion_tokens"),
            total_tokens=Sum("total_tokens"),
            cost=Sum("cost"),
        )

    def totals_by(self, *fields: str):
        """Token and cost sums grouped by the given columns (or "day")."""
        queryset = self
        if "day" in fields:
            queryset = queryset.annotate(day=TruncDate("created_at"))
        return (
            queryset.values(*fields)
            .annotate(
                calls=models.Count("id"),
                total_tokens=Sum("total_tokens"),
                cost=Sum("cost"),
            )
            .order_by(*fields)
        )


class ApiUsageOperation(models.TextChoices):
    SINGLE = "single", "Single sample"
    BATCH = "batch", "Batch"


class ApiUsage(models.Model):
    """One call to a language model and what it cost."""

    Operation = ApiUsageOperation

    model = models.CharField(max_length=128)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    total_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(**COST_DIGITS, default=Decimal(0), help_text="USD")
    operation = models.CharField(max_length=8, choices=Operation.choices)
    # Spending records outlive the user and sample they were for: the month's
    # total must stay true after deletions.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="api_usage",
    )
    sample = models.ForeignKey(
        "library.Sample",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="api_usage",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ApiUsageQuerySet.as_manager()

    class Meta:
        db_table = "library_apiusage"
        verbose_name = "API usage"
        verbose_name_plural = "API usage"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(cost__gte=0), name="api_usage_cost_positive"),
            models.CheckConstraint(
                condition=Q(operation__in=["single", "batch"]), name="api_usage_operation_valid"
            ),
        ]
        indexes = [models.Index(fields=["model", "created_at"], name="api_usage_model_created")]

    def __str__(self):
        return f"{self.model} {self.cost} USD"

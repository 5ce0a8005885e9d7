"""The installation's preferences, language-model prices and every call's cost."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

# Costs are kept to 1e-8 USD: a cheap model's call costs a few millionths of a dollar.
COST_DIGITS = {"max_digits": 18, "decimal_places": 8}


class ExportFormat(models.TextChoices):
    WAV = "wav", "WAV"
    AIFF = "aiff", "AIFF"


class ExportOrganisation(models.TextChoices):
    FLAT = "flat", "Flat"
    GENRE = "genre", "By genre"
    BPM = "bpm", "By BPM range"
    KIT = "kit", "By kit (bank folders, pad order)"


class UserPreference(models.Model):
    """The installation's settings, set by staff; there is exactly one row."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    vibe_model = models.CharField(
        max_length=128, default="openai/gpt-4o-mini", help_text="For single samples."
    )
    batch_model = models.CharField(
        max_length=128, default="openai/gpt-4o-mini", help_text="For batch imports and bulk runs."
    )
    auto_vibe_single = models.BooleanField("describe vibe after single imports", default=False)
    auto_vibe_batch = models.BooleanField("describe vibe after batch imports", default=False)
    auto_extract_features = models.BooleanField("analyse audio after import", default=True)
    max_cost_per_request = models.DecimalField(
        **COST_DIGITS,
        default=Decimal("0.01"),
        help_text="USD; a call that could cost more is not made.",
    )
    monthly_budget = models.DecimalField(
        **COST_DIGITS, default=Decimal("5.00"), help_text="USD per calendar month, all users."
    )
    default_export_format = models.CharField(
        max_length=4, choices=ExportFormat.choices, default=ExportFormat.WAV
    )
    default_export_organisation = models.CharField(
        max_length=5, choices=ExportOrganisation.choices, default=ExportOrganisation.KIT
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "preferences"
        verbose_name_plural = "preferences"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="preferences_single_row"),
            models.CheckConstraint(
                condition=Q(max_cost_per_request__gte=0), name="preferences_max_cost_positive"
            ),
            models.CheckConstraint(
                condition=Q(monthly_budget__gte=0), name="preferences_budget_positive"
            ),
            models.CheckConstraint(
                condition=Q(default_export_format__in=ExportFormat.values),
                name="preferences_export_format_valid",
            ),
            models.CheckConstraint(
                condition=Q(default_export_organisation__in=ExportOrganisation.values),
                name="preferences_export_organisation_valid",
            ),
        ]

    def __str__(self):
        return "Preferences"

    @classmethod
    def load(cls) -> "UserPreference":
        """The one row, created with defaults the first time it is asked for."""
        preferences, _created = cls.objects.get_or_create(id=cls.SINGLETON_ID)
        return preferences


class ModelPrice(models.Model):
    """What one language model costs, per million tokens."""

    model = models.CharField(max_length=128, unique=True)
    prompt_price_per_million = models.DecimalField(**COST_DIGITS, help_text="USD")
    completion_price_per_million = models.DecimalField(**COST_DIGITS, help_text="USD")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
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

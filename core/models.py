"""What the whole site shares: its preferences, and model pieces every app uses."""

from datetime import timedelta
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

# Costs are kept to 1e-8 USD: a cheap model's call costs a few millionths of a dollar.
COST_DIGITS = {"max_digits": 18, "decimal_places": 8}


class OwnedQuerySet(models.QuerySet):
    """Rows that belong to one user."""

    def owned_by(self, user):
        return self.filter(owner=user)


class Job(models.Model):
    """What every background job (an import, an export, a duplicate scan) records.

    A job has a ``status``, waiting or running until it finishes; its progress
    counts ``PROGRESS_FIELDS`` (done, total); and it keeps why it failed and when
    it was created, started and finished.
    """

    ACTIVE_STATUSES = ("pending", "running")
    SUCCEEDED = "completed"
    PROGRESS_FIELDS = ("", "")

    error = models.TextField(blank=True)  # Why the job failed, if it did.
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status not in self.ACTIVE_STATUSES

    @property
    def progress_percent(self) -> int:
        if self.status == self.SUCCEEDED:
            return 100
        done, total = (getattr(self, name) for name in self.PROGRESS_FIELDS)
        if not total:
            return 100 if self.is_finished else 0
        return min(round(100 * done / total), 100)


class ExportFormat(models.TextChoices):
    WAV = "wav", "WAV"
    AIFF = "aiff", "AIFF"


class ExportOrganisation(models.TextChoices):
    FLAT = "flat", "Flat"
    GENRE = "genre", "By genre"
    BPM = "bpm", "By BPM range"
    KIT = "kit", "By kit (bank folders, pad order)"


class SitePreferences(models.Model):
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
        validators=[MinValueValidator(0)],
        default=Decimal("0.01"),
        help_text="USD; a call that could cost more is not made.",
    )
    monthly_budget = models.DecimalField(
        **COST_DIGITS,
        validators=[MinValueValidator(0)],
        default=Decimal("5.00"),
        help_text="USD per calendar month, all users.",
    )
    default_export_format = models.CharField(
        max_length=4, choices=ExportFormat.choices, default=ExportFormat.WAV
    )
    default_export_organisation = models.CharField(
        max_length=5, choices=ExportOrganisation.choices, default=ExportOrganisation.KIT
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "library_userpreference"  # Where earlier versions kept it.
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
    def load(cls) -> "SitePreferences":
        """The one row, created with defaults the first time it is asked for."""
        preferences, _created = cls.objects.get_or_create(id=cls.SINGLETON_ID)
        return preferences


class BackupRecord(models.Model):
    """One backup the site made: when it finished, where it went, and whether it verified."""

    folder = models.CharField(max_length=500)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    files = models.PositiveIntegerField(default=0)
    files_copied = models.PositiveIntegerField(default=0)
    bytes_copied = models.PositiveBigIntegerField(default=0)
    verified = models.BooleanField(default=False)
    problems = models.TextField(blank=True)  # What the verification or the backup found wrong.

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["-started_at"], name="backup_started_idx")]

    def __str__(self):
        return f"Backup {self.folder}"

    @classmethod
    def start(cls, root) -> "BackupRecord":
        return cls.objects.create(folder=str(root), started_at=timezone.now())

    def finish(self, result, problems: list[str]) -> None:
        """Note a finished backup (a `core.backup.BackupResult`) and its verification."""
        self.folder = str(result.folder)
        self.files, self.files_copied = result.files, result.copied
        self.bytes_copied = result.bytes_copied
        self.verified = not problems
        self.problems = "\n".join(problems)
        self.finished_at = timezone.now()
        self.save()

    def fail(self, reason: str) -> None:
        self.problems = reason
        self.finished_at = timezone.now()
        self.save(update_fields=["problems", "finished_at"])


class IntegrityReport(models.Model):
    """One run of the integrity checks (weekly, or `check_integrity`): what they found."""

    finished_at = models.DateTimeField(auto_now_add=True)
    problems = models.PositiveIntegerField(default=0)
    report = models.TextField(blank=True)  # One line per problem.

    class Meta:
        ordering = ["-finished_at"]
        indexes = [models.Index(fields=["-finished_at"], name="integrity_finished_idx")]

    def __str__(self):
        return f"Integrity check of {self.finished_at:%Y-%m-%d %H:%M}: {self.problems} problems"


# Staff are told when the last backup is older than this, unverified, or missing.
BACKUP_DUE = timedelta(days=7)


def safety_notices() -> list[str]:
    """What staff should hear about backups and integrity, most urgent first (or nothing)."""
    notices = []
    backup = BackupRecord.objects.exclude(finished_at=None).first()
    if backup is None:
        notices.append("This library has never been backed up.")
    elif not backup.verified:
        notices.append(f"The last backup ({backup.finished_at:%Y-%m-%d}) did not verify.")
    elif backup.finished_at < timezone.now() - BACKUP_DUE:
        notices.append(f"The last backup is from {backup.finished_at:%Y-%m-%d}, over a week ago.")
    check = IntegrityReport.objects.first()
    if check is not None and check.problems:
        notices.append(
            f"The integrity check of {check.finished_at:%Y-%m-%d} found {check.problems} problems."
        )
    return notices

"""Searches of a library for duplicate audio, run in the background."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.models import Job, OwnedQuerySet
from library.models.samples import Sample


class DuplicateScanStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "Comparing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


ACTIVE = [DuplicateScanStatus.PENDING, DuplicateScanStatus.RUNNING]


class DuplicateScanQuerySet(OwnedQuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE)


class DuplicateScan(Job):
    """One search of a user's analysed samples for the same audio in other files.

    Comparing decodes every candidate pair, which takes minutes in a large
    library, so it runs as a task and the page shows its progress and, when
    done, the groups it found.
    """

    Status = DuplicateScanStatus
    SUCCEEDED = DuplicateScanStatus.DONE
    PROGRESS_FIELDS = ("checked_pairs", "candidate_pairs")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="duplicate_scans"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    samples_compared = models.PositiveIntegerField(default=0)
    candidate_pairs = models.PositiveIntegerField(
        default=0, help_text="Pairs whose features are close enough to compare their audio."
    )
    checked_pairs = models.PositiveIntegerField(default=0)
    groups = models.JSONField(
        default=list, blank=True, help_text='[{"reason": ..., "sample_ids": [...]}, ...]'
    )

    objects = DuplicateScanQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DuplicateScanStatus.values),
                name="duplicatescan_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(checked_pairs__lte=F("candidate_pairs")),
                name="duplicatescan_checked_within_candidates",
            ),
            # One scan at a time per user: a second click joins the running one.
            models.UniqueConstraint(
                fields=["owner"], condition=Q(status__in=ACTIVE), name="duplicatescan_one_active"
            ),
        ]
        indexes = [models.Index(fields=["owner", "-created_at"], name="duplicatescan_newest")]

    def __str__(self):
        return f"Duplicate scan {self.pk} ({self.get_status_display()})"

    def standing_groups(self) -> list[tuple[str, list[int]]]:
        """(reason, sample ids) of a finished scan, without samples trashed or deleted
        since; a group left with one sample is resolved and not listed."""
        if self.status != self.Status.DONE:
            return []
        ids = [sample_id for group in self.groups for sample_id in group["sample_ids"]]
        alive = set(
            Sample.objects.owned_by(self.owner_id)
            .alive()
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        standing = [(g["reason"], [i for i in g["sample_ids"] if i in alive]) for g in self.groups]
        return [(reason, members) for reason, members in standing if len(members) > 1]

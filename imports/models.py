"""Imports: every way samples come in is a Batch with one item per file."""

from collections import Counter

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from core.models import Job, OwnedQuerySet
from library.tasks import queue_analysis, queue_preview

# Samples of a batch are queued for analysis in groups: one task per file
# would make the queue's bookkeeping cost more than analysing a one-shot.
ANALYSIS_FLUSH = 16


class BatchQuerySet(OwnedQuerySet):
    def unfinished(self):
        return self.filter(status__in=[Batch.Status.PENDING, Batch.Status.RUNNING])

    def start(self, owner, *, source: str, name: str, total_files: int = 0, source_url: str = ""):
        """A new batch, running from now."""
        return self.create(
            owner=owner,
            source=source,
            name=name[:255],
            source_url=source_url,
            total_files=total_files,
            status=Batch.Status.RUNNING,
            started_at=timezone.now(),
        )


class BatchSource(models.TextChoices):
    UPLOAD = "upload", "Browser upload"
    FOLDER = "folder", "Folder"
    URL = "url", "URL"


class BatchStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "Importing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Batch(Job):
    """One import: a browser upload, a folder scan or a URL download."""

    Source = BatchSource

    Status = BatchStatus
    PROGRESS_FIELDS = ("processed_files", "total_files")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="batches"
    )
    name = models.CharField(max_length=255)
    source = models.CharField(max_length=8, choices=Source.choices)
    source_url = models.URLField(max_length=2048, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total_files = models.PositiveIntegerField(default=0)
    processed_files = models.PositiveIntegerField(default=0)
    imported_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    restored_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)

    objects = BatchQuerySet.as_manager()

    class Meta:
        db_table = "library_batch"  # Tables keep the names earlier versions gave them.
        verbose_name_plural = "batches"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=BatchSource.values),
                name="batch_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=BatchStatus.values),
                name="batch_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(source="url") | ~Q(source_url=""), name="batch_url_has_address"
            ),
            models.CheckConstraint(
                condition=Q(processed_files__lte=models.F("total_files")),
                name="batch_processed_within_total",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="batch_owner_created"),
            models.Index(fields=["status"], name="batch_status"),
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Imported samples not yet queued for analysis (kept in memory, never stored).
        self.awaiting_analysis: list[int] = []

    def __str__(self):
        return self.name

    def expect_more_files(self, count: int) -> None:
        """Grow the total as files are discovered (inside archives, say)."""
        if count:
            Batch.objects.filter(pk=self.pk).update(total_files=F("total_files") + count)
            self.total_files += count  # What a progress display reads.

    def record(self, path: str, status: str, message: str = "", sample=None) -> "BatchItem":
        """Store one file's outcome and count it; an imported sample is queued for analysis."""
        item = BatchItem(batch=self, sample=sample, path=path[:1024], status=status, error=message)
        return self._store_items([item])[0]

    def record_all(self, outcomes) -> list["BatchItem"]:
        """Store several files' outcomes (each with a path, status, message and sample)."""
        return self._store_items(
            [
                BatchItem(
                    batch=self, sample=outcome.sample, path=outcome.path[:1024],
                    status=outcome.status, error=outcome.message,
                )
                for outcome in outcomes
            ]
        )  # fmt: skip

    def _store_items(self, items: list["BatchItem"]) -> list["BatchItem"]:
        """Store new items of this batch and count them, in one transaction; imported
        samples are queued for analysis."""
        counters = Counter(COUNTER_FOR_STATUS[item.status] for item in items)
        with transaction.atomic():
            BatchItem.objects.bulk_create(items)
            Batch.objects.filter(pk=self.pk).update(
                processed_files=F("processed_files") + len(items),
                **{counter: F(counter) + added for counter, added in counters.items()},
            )
        for item in items:
            if item.status == BatchItem.Status.IMPORTED:
                queue_preview(item.sample)
                self.awaiting_analysis.append(item.sample.pk)
        if len(self.awaiting_analysis) >= ANALYSIS_FLUSH:
            self.flush_analysis()
        return items

    def flush_analysis(self) -> None:
        """Queue analysis for the samples imported since the last flush."""
        queue_analysis(self.awaiting_analysis)
        self.awaiting_analysis = []

    def finish(self, error: str = "") -> "Batch":
        """Close the batch: completed, or failed when nothing could be read at all."""
        self.flush_analysis()
        self.refresh_from_db()
        # Every file failing is as much a failure as the link that gave none.
        nothing_read = 0 < self.processed_files == self.failed_count
        self.status = Batch.Status.FAILED if error or nothing_read else Batch.Status.COMPLETED
        self.error = error
        self.finished_at = timezone.now()
        # Files announced but never sent (a closed browser tab) no longer count.
        self.total_files = max(self.processed_files, 0)
        self.save(update_fields=["status", "error", "finished_at", "total_files"])
        # The library has grown: once by a tenth, the planner's statistics should
        # say so (SQLite keeps none by itself). Queued after the batch's analysis.
        transaction.on_commit(lambda: async_task("core.tasks.refresh_stale_planner_statistics"))
        return self

    def restart(self) -> None:
        """Forget the per-file results of an interrupted link import before running it again.

        A link counts as one file until what it downloads is opened.
        """
        self.items.all().delete()
        self.total_files = 1
        self.processed_files = 0
        self.imported_count = self.duplicate_count = 0
        self.restored_count = self.failed_count = 0
        self.save()


class BatchItemStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    IMPORTED = "imported", "Imported"
    DUPLICATE = "duplicate", "Already in the library"
    RESTORED = "restored", "Restored from the trash"
    FAILED = "failed", "Failed"


class BatchItem(models.Model):
    """One file of an import and what became of it."""

    Status = BatchItemStatus

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="items")
    sample = models.ForeignKey(
        "library.Sample",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="batch_items",
    )
    path = models.CharField(max_length=1024, help_text="The file's path within the import.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "library_batchitem"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BatchItemStatus.values),
                name="batch_item_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(error=""), name="batch_item_failure_explained"
            ),
        ]
        indexes = [models.Index(fields=["batch", "status"], name="batch_item_batch_status")]

    def __str__(self):
        return self.path


COUNTER_FOR_STATUS = {
    BatchItemStatus.IMPORTED: "imported_count",
    BatchItemStatus.DUPLICATE: "duplicate_count",
    BatchItemStatus.RESTORED: "restored_count",
    BatchItemStatus.FAILED: "failed_count",
}

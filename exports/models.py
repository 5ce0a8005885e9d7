"""Exports: SP-404MK2-ready files written as a ZIP or into a folder."""

from functools import partial
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django_q.tasks import async_task

from core.models import ExportFormat, ExportOrganisation, Job, OwnedQuerySet
from exports.planning import ExportRefused, planned_path
from exports.sp404 import ExportOptions

EXPORT_SAMPLE_RATES = (44100, 48000)
EXPORT_BIT_DEPTHS = (16, 24)


class ExportQuerySet(OwnedQuerySet):
    def start(self, owner, *, entries, queued: bool = True, **fields) -> "Export":
        """A new export with one planned file per entry (sample, bank, pad), queued to run
        unless the caller runs it itself (``queued=False``).

        Refused (ExportRefused) when there is nothing to export.
        """
        if not entries:
            raise ExportRefused("There is nothing to export: no samples were chosen.")
        with transaction.atomic():
            export = Export(owner=owner, total_files=len(entries), **fields)
            export.full_clean(exclude=["output_path"] if export.destination == "zip" else None)
            export.save()
            taken: dict[str, set[str]] = {}
            ExportItem.objects.bulk_create(
                ExportItem(
                    export=export,
                    sample=sample,
                    bank=bank or "",
                    pad_number=pad_number,
                    output_name=planned_path(export, sample, bank, pad_number, taken),
                )
                for sample, bank, pad_number in entries
            )
            if queued:
                export.queue()
        return export


class ExportSource(models.TextChoices):
    KIT = "kit", "Kit"
    SELECTION = "selection", "Selection"
    FILTER = "filter", "Filter result"


class ExportDestination(models.TextChoices):
    ZIP = "zip", "ZIP download"
    FOLDER = "folder", "Folder on the server"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "Exporting"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Export(Job):
    """One export job: which samples, in what form, to where, and how far it got."""

    Source = ExportSource

    Destination = ExportDestination

    Status = ExportStatus
    PROGRESS_FIELDS = ("processed_files", "total_files")

    SAMPLE_RATES = EXPORT_SAMPLE_RATES
    BIT_DEPTHS = EXPORT_BIT_DEPTHS

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports"
    )
    name = models.CharField(max_length=100)
    source = models.CharField(max_length=10, choices=Source.choices)
    kit = models.ForeignKey(
        "kits.Kit", on_delete=models.SET_NULL, null=True, blank=True, related_name="exports"
    )
    banks = models.CharField(
        max_length=10, blank=True, help_text="Kit banks, e.g. ABC; all if empty."
    )
    format = models.CharField(max_length=4, choices=ExportFormat.choices, default=ExportFormat.WAV)
    sample_rate = models.PositiveIntegerField(default=48000)
    bit_depth = models.PositiveSmallIntegerField(default=16)
    mono = models.BooleanField(default=False, help_text="Sum stereo to mono.")
    trim_silence = models.BooleanField(default=False)
    normalize = models.BooleanField(default=False, help_text="Peak-normalise each file.")
    pad_short = models.BooleanField(default=False, help_text="Pad samples under 100 ms.")
    uppercase = models.BooleanField(default=False, help_text="UPPERCASE file names.")
    organisation = models.CharField(
        max_length=5, choices=ExportOrganisation.choices, default=ExportOrganisation.FLAT
    )
    destination = models.CharField(
        max_length=6, choices=Destination.choices, default=Destination.ZIP
    )
    project = models.BooleanField(
        default=False,
        help_text="Kit exports: also write the kit as an SP-404MK2 project, its pads assigned "
        "(experimental).",
    )
    project_folder = models.CharField(
        max_length=255, blank=True, help_text="Where the project was written inside the export."
    )
    output_path = models.CharField(max_length=1024, blank=True)
    folder_signature = models.CharField(
        max_length=100,
        blank=True,
        help_text="Folder exports: the line that marks the README of the folder this export "
        "created, so that only that folder is ever written to; empty until it exists.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total_files = models.PositiveIntegerField(default=0)
    processed_files = models.PositiveIntegerField(default=0)
    file_count = models.PositiveIntegerField(default=0, help_text="Files written and verified.")
    total_size = models.PositiveBigIntegerField(default=0, help_text="Bytes.")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When the ZIP is removed.")

    objects = ExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=ExportSource.values), name="export_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(format__in=ExportFormat.values), name="export_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(sample_rate__in=EXPORT_SAMPLE_RATES), name="export_sample_rate_valid"
            ),
            models.CheckConstraint(
                condition=Q(bit_depth__in=EXPORT_BIT_DEPTHS), name="export_bit_depth_valid"
            ),
            models.CheckConstraint(
                condition=Q(organisation__in=ExportOrganisation.values),
                name="export_organisation_valid",
            ),
            models.CheckConstraint(
                condition=Q(destination__in=ExportDestination.values),
                name="export_destination_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ExportStatus.values), name="export_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(destination="folder") | ~Q(output_path=""),
                name="export_folder_has_path",
            ),
            models.CheckConstraint(
                condition=Q(processed_files__lte=models.F("total_files")),
                name="export_processed_within_total",
            ),
            # The unit's project holds 48 kHz / 16-bit audio, untrimmed so chop marks stay put.
            models.CheckConstraint(
                condition=Q(project=False)
                | Q(source="kit", sample_rate=48000, bit_depth=16, trim_silence=False),
                name="export_project_of_a_kit_at_48k_16bit",
                violation_error_message="An SP-404MK2 project is made of a kit's pads, at "
                "48 kHz / 16-bit and without trimming.",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="export_owner_created"),
            models.Index(fields=["status"], name="export_status"),
            models.Index(fields=["expires_at"], name="export_expires"),
        ]

    def __str__(self):
        return self.name

    @property
    def has_stopped(self) -> bool:
        """Finished, and no runner is still at work on it (a cancel waits for the current file)."""
        return self.is_finished and (self.finished_at is not None or self.started_at is None)

    @property
    def download_ready(self) -> bool:
        return (
            self.destination == self.Destination.ZIP
            and self.status == self.Status.COMPLETED
            and bool(self.output_path)
        )

    def queue(self) -> None:
        """Run the export in the background once the current transaction commits."""
        run = partial(async_task, "exports.tasks.run_export", self.pk, group="export")
        transaction.on_commit(run)

    def retry(self) -> int:
        """Queue again what a cancelled or failed export left undone; returns how many files.

        A ZIP's staging files are gone once it is packed or cancelled, so a ZIP
        export is redone whole; a folder export redoes only the files that failed
        or never ran.
        """
        if not self.resume_label:
            return 0
        unfinished = self.items.exclude(status=ExportItem.Status.DONE)
        count = unfinished.count()
        with transaction.atomic():
            if self.destination == self.Destination.ZIP:
                if self.output_path:
                    Path(self.output_path).unlink(missing_ok=True)
                self.output_path = ""
                self.items.update(status=ExportItem.Status.PENDING, error="", verification="")
            else:
                unfinished.update(status=ExportItem.Status.PENDING, error="", verification="")
            self.status = self.Status.PENDING
            self.processed_files = self.items.exclude(status=ExportItem.Status.PENDING).count()
            self.finished_at = None
            self.save(update_fields=["status", "processed_files", "finished_at", "output_path"])
            self.queue()
        return count

    def claim_folder(self, name: str, signature: str) -> None:
        """Record the folder this export created: its planned name, or a numbered one beside it.

        The files are renamed into it. Any already done were written somewhere else
        (by a run from before exports made their own folder), so they are redone.
        """
        first = self.items.exclude(output_name="").values_list("output_name", flat=True).first()
        planned = PurePosixPath(first).parts[0] if first else name
        with transaction.atomic():
            if planned != name:
                # "Kit/A/01 Kick.wav" -> "Kit 2/A/01 Kick.wav" (Substr counts from 1).
                tail = Substr("output_name", len(planned) + 2)
                self.items.exclude(output_name="").update(
                    output_name=Concat(Value(f"{name}/"), tail)
                )
            self.items.filter(status=ExportItem.Status.DONE).update(
                status=ExportItem.Status.PENDING, verification="", size=0
            )
            self.folder_signature = signature
            self.processed_files = self.items.exclude(status=ExportItem.Status.PENDING).count()
            self.save(update_fields=["folder_signature", "processed_files"])

    def zip_name(self, top_folder: str) -> str:
        """The stored ZIP's file name: the export's id (unique) before the name people see."""
        return f"{self.pk}-{top_folder}.zip"

    @property
    def download_name(self) -> str:
        """The ZIP's name as the user downloads it: the stored name without the id."""
        return Path(self.output_path).name.split("-", 1)[-1]

    def cancel(self) -> None:
        """Stop the export: at once if it has not started, else after the file being written."""
        exports = Export.objects.filter(pk=self.pk)
        exports.filter(status=self.Status.PENDING).update(
            status=self.Status.CANCELLED, finished_at=timezone.now()
        )
        # The runner sets finished_at when it notices, so a resume cannot race it.
        exports.filter(status=self.Status.RUNNING).update(status=self.Status.CANCELLED)

    @property
    def resume_label(self) -> str:
        """What resuming would do, as a button says it; empty when there is nothing to resume."""
        if not self.has_stopped:
            return ""
        counts = self.items.aggregate(
            waiting=Count("pk", filter=Q(status=ExportItemStatus.PENDING)),
            failed=Count("pk", filter=Q(status=ExportItemStatus.FAILED)),
        )
        waiting = files(counts["waiting"]) + " left" if counts["waiting"] else ""
        failed = files(counts["failed"], "failed") if counts["failed"] else ""
        if waiting and failed:
            return f"Resume: export the {waiting} and retry the {failed}"
        if waiting:
            return f"Resume: export the {waiting}"
        return f"Retry the {failed}" if failed else ""

    def kit_pads(self) -> dict:
        """The kit's pads by (bank, pad number), as they are now; none when the kit is gone."""
        if not self.kit_id:
            return {}
        return {(pad.bank, pad.pad_number): pad for pad in self.kit.pads.all()}

    def options(self):
        """The conversion settings as the SP-404 module takes them."""
        return ExportOptions(
            format=self.format,
            sample_rate=self.sample_rate,
            bit_depth=self.bit_depth,
            mono=self.mono,
            trim_silence=self.trim_silence,
            normalize=self.normalize,
            pad_short=self.pad_short,
            uppercase=self.uppercase,
        )


def files(count: int, adjective: str = "") -> str:
    """ "1 file", "3 failed files"."""
    words = [str(count), adjective, "file" if count == 1 else "files"]
    return " ".join(word for word in words if word)


class ExportItemStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    DONE = "done", "Written and verified"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class ExportItem(models.Model):
    """One sample of an export and the file it became."""

    Status = ExportItemStatus

    export = models.ForeignKey(Export, on_delete=models.CASCADE, related_name="items")
    # The history keeps its rows after a sample is purged from the library.
    sample = models.ForeignKey(
        "library.Sample",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="export_items",
    )
    bank = models.CharField(max_length=1, blank=True)
    pad_number = models.PositiveSmallIntegerField(null=True, blank=True)
    output_name = models.CharField(max_length=512, blank=True, help_text="Path inside the export.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    size = models.PositiveBigIntegerField(default=0)
    verification = models.CharField(
        max_length=255, blank=True, help_text="What reading the written file back found."
    )
    warnings = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ExportItemStatus.values), name="export_item_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(error=""), name="export_item_failure_explained"
            ),
            models.UniqueConstraint(
                fields=["export", "output_name"],
                condition=~Q(output_name=""),
                name="export_item_unique_name",
            ),
        ]
        indexes = [models.Index(fields=["export", "status"], name="export_item_export_status")]

    def __str__(self):
        return self.output_name or f"item {self.pk}"

"""Import folders, files, ZIP archives or a link into a user's library."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from imports.models import Batch, BatchItem
from imports.sources import import_paths, import_url
from library.management.quiet import library_logs_at_warning


class Progress:
    """A terminal progress bar (on standard error, and only on a terminal) over a batch's files.

    The total grows as ZIP archives are opened, so it is read again at each file
    (the batch keeps it in step, without a query).
    """

    def __init__(self):
        self.bar = tqdm(total=0, unit="file", disable=None, dynamic_ncols=True)
        self.batch = None

    def __call__(self, item: BatchItem) -> None:
        self.bar.total = max(self.batch.total_files, self.bar.n + 1)
        self.bar.set_postfix_str(item.path[-40:], refresh=False)
        self.bar.update()

    def close(self) -> None:
        self.bar.close()


class Command(BaseCommand):
    help = "Import audio files, folders (recursively) and ZIP archives, or a link, for a user."
    # The system checks import every view, and with them the whole analysis engine
    # (1.4 s) that an import never uses: it only decodes. migrate, check and serve
    # run them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path, help="Files, folders or ZIP archives.")
        parser.add_argument("--user", required=True, help="Username who will own the samples.")
        parser.add_argument("--url", help="Download an audio file or a ZIP from this link.")
        parser.add_argument("--name", help="Name of the import (default: from the paths).")

    def handle(self, *args, **options):
        with library_logs_at_warning(options["verbosity"]):
            self.run(**options)

    def run(self, *, paths, user, url, name, **options):
        if not paths and not url:
            raise CommandError("Give at least one PATH or --url.")
        try:
            owner = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {user!r}.") from None
        batches = []
        if paths:
            batch = Batch.objects.start(
                owner, source=Batch.Source.FOLDER, name=name or ", ".join(p.name for p in paths)
            )
            progress = Progress()
            progress.batch = batch
            batches.append(import_paths(batch, [p.resolve() for p in paths], progress))
            progress.close()
        if url:
            batch = Batch.objects.start(
                owner, source=Batch.Source.URL, name=name or url, total_files=1, source_url=url
            )
            batches.append(import_url(batch))
        for batch in batches:
            self.print_summary(batch)
        if all(batch.status == Batch.Status.FAILED for batch in batches):
            raise CommandError("Nothing could be imported.")

    def print_summary(self, batch: Batch) -> None:
        self.stdout.write(
            self.style.SUCCESS(f"{batch.name}: ")
            + f"{batch.imported_count} imported, {batch.duplicate_count} duplicates, "
            f"{batch.restored_count} restored from the trash, {batch.failed_count} failed."
        )
        if batch.error:
            self.stdout.write(self.style.ERROR(batch.error))
        for item in batch.items.filter(status=BatchItem.Status.FAILED):
            self.stdout.write(self.style.WARNING(f"  failed: {item.path}: {item.error}"))

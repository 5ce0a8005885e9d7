"""Replace the database and the audio with a verified backup, while the app is stopped."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, find, terminal_progress
from core.datalock import DataDirectoryBusy
from core.restore import restore


class Command(BaseCommand):
    help = (
        "Verify a backup, then swap its database and audio in for the current ones. "
        "Refuses while the app (make run / manage.py serve) runs on this data directory; "
        "a restore that fails or is interrupted leaves the current data as it was."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "backup", help="The backup: its folder, or its name in BACKUP_ROOT, or 'latest'."
        )

    def handle(self, *args, backup, **options):
        root = Path(settings.BACKUP_ROOT)
        try:
            folder = find(None if backup == "latest" else backup, root)
            restore(folder, terminal_progress(self.stdout.isatty(), "Restoring"))
        except DataDirectoryBusy:
            raise CommandError(
                f"The app is running on {settings.DATA_DIR} (make run / manage.py serve holds "
                "its lock). Stop it first, then restore; nothing was changed."
            ) from None
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored {folder} into {settings.DATA_DIR}. Start the app with make run "
            "(it brings the database up to date)."
        )

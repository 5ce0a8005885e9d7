"""Back up the database and the audio while the app runs, or verify a backup."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from core.backup import BackupError, create_backup, find, terminal_progress, verify
from core.models import BackupRecord


class Command(BaseCommand):
    help = (
        "Back up the database and the audio into a folder (BACKUP_ROOT unless --to is given), "
        "copying only files it does not hold yet, then verify the backup; "
        "or, with --verify, re-read an existing backup and name whatever is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", type=Path, help="Backup folder (default: BACKUP_ROOT).")
        parser.add_argument(
            "--verify",
            nargs="?",
            const="",
            metavar="BACKUP",
            help="Verify a backup (a path or a folder name; the latest when omitted).",
        )

    def handle(self, *args, to, verify, **options):
        root = (to or Path(settings.BACKUP_ROOT)).resolve()
        try:
            if verify is not None:
                self.verify(find(verify, root))
            else:
                self.back_up(root)
        except BackupError as error:
            raise CommandError(str(error)) from None

    def progress(self, description):
        return terminal_progress(self.stdout.isatty(), description)

    def verify(self, folder: Path) -> None:
        problems = verify(folder, self.progress("Verifying"))
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{folder} does not verify: {len(problems)} problem(s).")
        self.stdout.write(f"{folder} verifies: the database and every file match the manifest.")

    def back_up(self, root: Path) -> None:
        record = BackupRecord.start(root)
        try:
            result = create_backup(root, self.progress("Backing up"))
        except (BackupError, OSError) as error:
            record.fail(str(error))
            raise CommandError(f"The backup failed: {error}") from None
        problems = verify(result.folder, self.progress("Verifying"))
        record.finish(result, problems)
        self.stdout.write(
            f"Backed up the database and {result.files} files ({result.copied} new, "
            f"{filesizeformat(result.bytes_copied)}) to {result.folder} "
            f"in {result.seconds:.1f} s; "
            + ("verified." if not problems else f"{len(problems)} problem(s) on re-reading.")
        )
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError("The new backup does not verify.")

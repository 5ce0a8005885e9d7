"""Export a kit from the terminal, into a folder or as a ZIP."""

import itertools
import os
import shutil
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.models import ExportOrganisation
from exports.models import Export
from exports.naming import numbered_name
from exports.planning import ExportRefused, entries_for_kit
from exports.runner import run
from kits.models import Kit
from library.forms import given_id
from library.management.quiet import library_logs_at_warning


class Command(BaseCommand):
    help = (
        "Export a kit (by id or exact name) as SP-404MK2-ready files into a folder, "
        "or as a ZIP there; the folder is created if it does not exist."
    )

    def add_arguments(self, parser):
        parser.add_argument("kit", help="The kit's id or its exact name.")
        parser.add_argument(
            "--to", required=True, type=Path, help="Folder to write into (created if missing)."
        )
        parser.add_argument("--user", help="The kit's owner, when several users have that name.")
        parser.add_argument("--format", choices=["wav", "aiff"], default="wav")
        parser.add_argument(
            "--zip", action="store_true", help="Write one ZIP file into the folder."
        )
        parser.add_argument("--banks", default="", help="Only these banks, e.g. ABC.")
        parser.add_argument(
            "--project",
            action="store_true",
            help="Also write the kit as an SP-404MK2 project with its pads assigned "
            "(experimental, 48 kHz / 16-bit): --to is then the card's root, which gets "
            "EXPORT/PROJECT/<kit> and IMPORT/<kit>.",
        )

    def handle(self, *args, **options):
        with library_logs_at_warning(options["verbosity"]):
            self.export(**options)

    def export(self, *, kit, to, user, format, zip, banks, project, **options):
        found = self.find_kit(kit, user)
        folder = self.prepared_folder(to)
        entries = entries_for_kit(found, banks.upper())
        try:
            export = Export.objects.start(
                found.owner, entries=entries, queued=False, name=found.name,
                source=Export.Source.KIT, kit=found, banks=banks.upper(), format=format, organisation=ExportOrganisation.KIT,
                destination=Export.Destination.ZIP if zip else Export.Destination.FOLDER,
                output_path="" if zip else str(folder), project=project,
            )  # fmt: skip
        except ExportRefused as refusal:
            raise CommandError(str(refusal)) from None
        # On standard error, and only on a terminal.
        with tqdm(total=len(entries), unit="file", disable=None, dynamic_ncols=True) as bar:
            # --to is the one place this export may write, whatever SP404_EXPORT_ROOTS says.
            export = run(export, progress=lambda item: bar.update(), roots=[folder])
        if zip and export.output_path:
            target = self.copied_beside(Path(export.output_path), folder, export.download_name)
            self.stdout.write(f"Wrote {target}")
        failed = export.items.filter(status="failed")
        for item in failed:
            self.stdout.write(self.style.WARNING(f"  failed: {item.output_name}: {item.error}"))
        self.stdout.write(
            f"{export.file_count} files written and verified, {failed.count()} failed."
        )
        if export.project_folder:
            place = "in the ZIP" if zip else f"in {folder}"
            self.stdout.write(
                f"SP-404MK2 project (experimental): {export.project_folder} {place}. "
                "Back up the card before loading it on the unit."
            )
        if export.status != Export.Status.COMPLETED or (
            export.project and not export.project_folder
        ):
            raise CommandError(export.error or "The export failed.")

    def find_kit(self, name_or_id: str, username: str | None) -> Kit:
        kits = Kit.objects.select_related("owner")
        owner = ""
        if username:
            if not get_user_model().objects.filter(username=username).exists():
                raise CommandError(f"No user named {username!r}.")
            kits = kits.filter(owner__username=username)
            owner = f" owned by {username}"
        number = given_id(name_or_id)
        matches = list(kits.filter(pk=number)) if number else []
        matches = matches or list(kits.filter(name=name_or_id))
        if not matches:
            raise CommandError(f"No kit with id or name {name_or_id!r}{owner}.")
        if len(matches) > 1:
            choices = ", ".join(f"id {kit.pk} of {kit.owner.get_username()}" for kit in matches)
            raise CommandError(
                f"{len(matches)} kits are named {name_or_id!r} ({choices}): "
                "name the owner with --user NAME, or give the kit's id."
            )
        return matches[0]

    def copied_beside(self, source: Path, folder: Path, name: str) -> Path:
        """source copied into folder as name, or "name 2"... when taken: no file is replaced."""
        stem, extension = os.path.splitext(name)
        for number in itertools.count(1):
            target = folder / (name if number == 1 else numbered_name(stem, number) + extension)
            try:
                # "x" creates the file or fails, and never follows a link already there.
                with open(target, "xb") as copy, open(source, "rb") as original:
                    shutil.copyfileobj(original, copy)
            except FileExistsError:
                continue
            return target

    def prepared_folder(self, path: Path) -> Path:
        """The --to folder, created with its parents when missing."""
        folder = path.expanduser().resolve()
        existing = next(parent for parent in [folder, *folder.parents] if parent.exists())
        if not existing.is_dir():
            raise CommandError(f"{existing} is a file, not a folder: choose another --to.")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(
                f"Cannot create {folder} ({error.strerror}): create it yourself "
                "or choose another --to."
            ) from None
        return folder

"""Export a kit from the terminal, into a folder or as a ZIP."""

import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exports.models import Export
from exports.planning import ExportRefused, create_export, entries_for_kit
from exports.runner import run
from kits.models import Kit
from library.management.commands.import_samples import BAR_WIDTH
from library.models.preferences import ExportOrganisation


class Command(BaseCommand):
    help = (
        "Export a kit (by id or exact name) as SP-404MK2-ready files into PATH, or as a ZIP there."
    )

    def add_arguments(self, parser):
        parser.add_argument("kit", help="The kit's id or its exact name.")
        parser.add_argument("--to", required=True, type=Path, help="Folder to write into.")
        parser.add_argument("--format", choices=["wav", "aiff"], default="wav")
        parser.add_argument(
            "--zip", action="store_true", help="Write one ZIP file into the folder."
        )
        parser.add_argument("--banks", default="", help="Only these banks, e.g. ABC.")

    def handle(self, *args, kit, to, format, zip, banks, **options):
        found = self.find_kit(kit)
        folder = to.expanduser().resolve()
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        entries = entries_for_kit(found, banks.upper())
        try:
            export = create_export(
                found.owner, entries=entries, name=found.name, source=Export.Source.KIT, kit=found,
                banks=banks.upper(), format=format, organisation=ExportOrganisation.KIT,
                destination=Export.Destination.ZIP if zip else Export.Destination.FOLDER,
                output_path="" if zip else str(folder),
            )  # fmt: skip
        except ExportRefused as refusal:
            raise CommandError(str(refusal)) from None
        export = run(export, progress=self.progress_bar(len(entries)))
        self.stdout.write("")
        if zip and export.output_path:
            target = folder / Path(export.output_path).name.split("-", 1)[-1]
            shutil.copyfile(export.output_path, target)
            self.stdout.write(f"Wrote {target}")
        failed = export.items.filter(status="failed")
        for item in failed:
            self.stdout.write(self.style.WARNING(f"  failed: {item.output_name}: {item.error}"))
        self.stdout.write(
            f"{export.file_count} files written and verified, {failed.count()} failed."
        )
        if export.status != Export.Status.COMPLETED:
            raise CommandError(export.error or "The export failed.")

    def find_kit(self, name_or_id: str) -> Kit:
        kits = (
            Kit.objects.filter(pk=int(name_or_id)) if name_or_id.isdigit() else Kit.objects.none()
        )
        kits = kits or Kit.objects.filter(name=name_or_id)
        if kits.count() != 1:
            raise CommandError(f"No single kit with id or name {name_or_id!r}.")
        return kits.get()

    def progress_bar(self, total: int):
        done = 0

        def step(item):
            nonlocal done
            done += 1
            filled = round(BAR_WIDTH * done / max(total, 1))
            self.stdout.write(
                f"\r[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done}/{total}", ending=""
            )
            self.stdout.flush()

        return step

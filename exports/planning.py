"""Deciding what an export contains and where each file goes inside it."""

import re
from pathlib import Path, PurePosixPath

from django.conf import settings

from core.models import ExportOrganisation
from exports.naming import MAX_STEM_LENGTH
from exports.sp404 import bpm_range_folder, folder_name, pad_file_name, safe_stem, unique_name

# A slice's name as the chop editor gives it: the loop's name, then " s01".
SLICE_NUMBER = re.compile(r"^(?P<loop>.*\S)\s+(?P<number>s\d{2})$")


class ExportRefused(Exception):
    """An export that cannot be made as asked; the message is shown to the user."""


def allowed_roots() -> list[Path]:
    return [Path(root).resolve() for root in settings.EXPORT_FOLDER_ROOTS]


def checked_folder(path: str) -> Path:
    """A destination folder inside one of the roots the administrator allowed."""
    roots = allowed_roots()
    if not roots:
        raise ExportRefused(
            "Writing to folders is off: the administrator has not allowed any (SP404_EXPORT_ROOTS)."
        )
    folder = Path(path).expanduser().resolve()
    if not any(folder == root or folder.is_relative_to(root) for root in roots):
        allowed = ", ".join(str(root) for root in roots)
        raise ExportRefused(f"Exports may only be written under: {allowed}.")
    if not folder.is_dir():
        raise ExportRefused(f"The folder {folder} does not exist (is the card mounted?).")
    return folder


def entries_for_kit(kit, banks: str):
    """(sample, bank, pad) for the kit's pads in the chosen banks, in pad order."""
    pads = kit.pads.select_related("sample").order_by("bank", "pad_number")
    if banks:
        pads = pads.filter(bank__in=list(banks))
    return [(pad.sample, pad.bank, pad.pad_number) for pad in pads]


def planned_path(export, sample, bank: str, pad_number, taken: dict) -> str:
    """The file's path inside the export, unique within its folder."""
    top = folder_name(export.name, uppercase=export.uppercase)
    organisation = export.organisation
    if organisation == ExportOrganisation.KIT and bank:
        folder = f"{top}/{bank}"
        stem = pad_file_name(pad_number, sample_stem(sample, 20, export.uppercase))
    else:
        if organisation == ExportOrganisation.GENRE:
            folder = f"{top}/{folder_name(sample.genre or 'No genre', uppercase=export.uppercase)}"
        elif organisation == ExportOrganisation.BPM:
            folder = f"{top}/{bpm_range_folder(sample.tempo_bpm)}"
        else:
            folder = top
        stem = sample_stem(sample, None, export.uppercase)
    extension = export.options().extension
    name = unique_name(stem, extension, taken.setdefault(folder, set()))
    return f"{folder}/{name}"


def sample_stem(sample, max_length: int | None, uppercase: bool) -> str:
    """A safe file stem for the sample; a slice keeps its number ("AMEN BRK s01") whatever
    has to be cut from its loop's name."""
    limit = {"max_length": max_length} if max_length else {}
    numbered = SLICE_NUMBER.match(sample.name) if sample.parent_id else None
    if numbered is None:
        return safe_stem(sample.name, uppercase=uppercase, **limit)
    number = numbered["number"].upper() if uppercase else numbered["number"]
    room = (max_length or MAX_STEM_LENGTH) - len(number) - 1
    return f"{safe_stem(numbered['loop'], max_length=room, uppercase=uppercase)} {number}"


def top_folder(export) -> str:
    first = export.items.exclude(output_name="").values_list("output_name", flat=True).first()
    return PurePosixPath(first).parts[0] if first else folder_name(export.name)

"""Running an export: convert, verify, describe, and deliver as a ZIP or into a folder.

Safe to run again after a crash: finished files are verified and kept, the rest
are converted, and a ZIP is only ever published whole (written beside its final
name, then renamed). A folder export writes only into a folder it created
itself, through exports.folders, so it replaces nothing that was there and
cannot be led outside the allowed roots by a link.
"""

import contextlib
import logging
import os
import shutil
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path, PurePosixPath
from secrets import token_hex

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from exports import folders, projects
from exports.folders import UnsafeFolder
from exports.models import Export, ExportItem
from exports.planning import allowed_roots, top_folder
from exports.sp404 import ConversionError, PadMapRow, convert, pad_map_text, verify
from library import chops
from library.music import camelot

logger = logging.getLogger(__name__)


README = "README.txt"


def staging_folder(export: Export) -> Path:
    """Where a ZIP export's files wait to be packed: the app's own, named by the export's id."""
    return Path(settings.EXPORT_ROOT) / "staging" / str(export.pk)


def run(export: Export, progress=None, *, roots: list[Path] | None = None) -> Export:
    """Convert every pending item, then deliver; returns the export in its final state.

    A folder export writes only under roots (the allowed SP404_EXPORT_ROOTS unless
    given), checked again here because the folder may have changed since the form.
    """
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.RUNNING, started_at=export.started_at or timezone.now(), error=""
    )
    try:
        with own_folder(export, allowed_roots() if roots is None else roots) as (root, top):
            return convert_all(export, root, top, progress)
    except UnsafeFolder as refusal:
        return close(export, Export.Status.FAILED, error=str(refusal))


def convert_all(export: Export, root: int, folder: int, progress) -> Export:
    options = export.options()
    for item in export.items.filter(status=ExportItem.Status.PENDING).select_related("sample"):
        if Export.objects.filter(pk=export.pk, status=Export.Status.CANCELLED).exists():
            return finish_cancelled(export)
        convert_item(item, folder, options)
        # Counted from the items, so a run resumed after a crash stays exact.
        processed = export.items.exclude(status=ExportItem.Status.PENDING).count()
        Export.objects.filter(pk=export.pk).update(processed_files=processed)
        if progress:
            progress(item)
    return deliver(export, root, folder)


@contextlib.contextmanager
def own_folder(export: Export, roots: list[Path]) -> Iterator[tuple[int, int]]:
    """(root, top): where the export writes, and its own top folder there, open for the whole run.

    The root is the ZIP's staging folder or the chosen folder. A project export
    treats it as a card's root: its files go into IMPORT/<top>, the project
    into EXPORT/PROJECT/<top>.
    """
    if export.destination == Export.Destination.ZIP:
        staging = staging_folder(export)
        staging.mkdir(parents=True, exist_ok=True)
        root = os.open(staging, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    else:
        root = folders.open_destination(export.output_path, roots)
    with folders.opened(root):
        with folders.opened(
            projects.import_folder(root) if export.project else os.dup(root)
        ) as parent:
            if export.destination == Export.Destination.ZIP:
                top = folders.open_folder(parent, top_folder(export), create=True)
            else:
                top = signed_folder(export, parent)
        with folders.opened(top):
            yield root, top


def signed_folder(export: Export, destination: int) -> int:
    """The folder this export created in destination, made on its first run.

    When the name is taken the export writes beside it ("MY KIT 2"), as copying
    onto a card does, rather than refusing: the clash shows up only now, in the
    background, and refusing would make the beatmaker rename the kit and start
    over, while a numbered folder leaves everything already on the card as it
    was. Its README carries a line only this export writes; a resumed export
    goes back only to the folder still carrying it, never to another of that name.
    """
    name = top_folder(export)
    if not export.folder_signature:
        return created_folder(export, destination, name)
    folder = folders.open_folder(destination, name, shown_as=f"{export.output_path}/{name}")
    if export.folder_signature not in folders.read_text(folder, README).splitlines():
        os.close(folder)
        raise UnsafeFolder(
            f"The folder {name} in {export.output_path} is not the one this export created "
            f"(its {README} no longer says so), so nothing more is written there: start a new export."
        )
    return folder


def created_folder(export: Export, destination: int, planned: str) -> int:
    """A new folder for the export, signed and recorded before any audio goes into it."""
    name, folder = folders.create_beside(destination, planned)
    try:
        export.folder_signature = f"Written by sp404site, export {export.pk} ({token_hex(4)})."
        note = f"{name}: export in progress; this file lists what is in it once it is done.\r\n"
        write_readme(folder, export, note)
        export.claim_folder(name, export.folder_signature)
    except OSError as error:
        os.close(folder)
        raise UnsafeFolder(f"Cannot write into {export.output_path}/{name}: {error}.") from None
    except BaseException:
        os.close(folder)
        raise
    return folder


def convert_item(item: ExportItem, folder: int, options) -> None:
    """Write one file and read it back; the item records what happened."""
    if item.sample is None:
        return mark(
            item, ExportItem.Status.FAILED, error="The sample was deleted from the library."
        )
    inside = item.output_name.split("/", 1)[-1]
    try:
        with folders.new_file(folder, inside) as output:
            result = convert(Path(item.sample.file.path), output, options, **slice_of(item.sample))
            check = verify(inside, result, written=output)
            if not check.ok:
                raise ConversionError("; ".join(check.problems))
    except ConversionError as error:
        return mark(item, ExportItem.Status.FAILED, error=str(error))
    except OSError as error:
        return mark(item, ExportItem.Status.FAILED, error=f"Could not write the file: {error}.")
    summary = f"{result.sample_rate} Hz, {result.bit_depth}-bit, {result.channels} ch, {result.frames} frames"
    # A kit's pad keeps a trashed sample until the trash is emptied: written, but said.
    trashed = ["The sample is in the trash."] if item.sample.deleted_at else []
    mark(
        item,
        ExportItem.Status.DONE,
        size=result.bytes_written,
        verification=f"Verified: {summary}",
        warnings=" ".join([*result.warnings, *trashed]),
    )


def slice_of(sample) -> dict:
    """For a loop's slice, its frames of the loop's file and the fade at its edges."""
    if sample.parent_id is None:
        return {}
    return {
        "frames": (sample.start_frame, sample.end_frame),
        "fade_frames": chops.frames_of(chops.FADE_MS, sample.sample_rate),
    }


def mark(item: ExportItem, status: str, **fields) -> None:
    for name, value in {"status": status, **fields}.items():
        setattr(item, name, value)
    item.save(update_fields=["status", *fields])


def pad_map_rows(export: Export) -> list[PadMapRow]:
    rows = []
    items = export.items.filter(status=ExportItem.Status.DONE).select_related("sample")
    pads = export.kit_pads()
    for item in items:
        pad = pads.get((item.bank, item.pad_number))
        sample = item.sample
        key = None
        if sample and sample.key:
            key = f"{sample.key} {sample.scale} ({camelot(sample.key, sample.scale)})"
        elif sample and sample.pitch_midi is not None:
            key = sample.pitch_name  # A pitched one-shot's note: "A1".
        rows.append(
            PadMapRow(
                bank=item.bank,
                pad_number=item.pad_number,
                file_path=item.output_name.split("/", 1)[-1],
                tempo_bpm=sample.tempo_bpm if sample else None,
                key=key,
                volume=pad.volume if pad else None,
                pitch_semitones=pad.pitch if pad else None,
                gate=bool(pad and pad.gate),
                loop=bool(pad and pad.loop),
                reverse=bool(pad and pad.reverse),
            )
        )
    return rows


def deliver(export: Export, root: int, folder: int) -> Export:
    """Write the project and the README, publish the ZIP if one was asked for, and close."""
    export.refresh_from_db()
    done = export.items.filter(status=ExportItem.Status.DONE)
    if not done.exists():
        return close(export, Export.Status.FAILED, error="No file could be exported.")
    readme = pad_map_text(export.name, pad_map_rows(export))
    failure = ""
    if export.project:
        try:
            path = write_project(export, root, folder)
        except projects.ProjectNotWritten as refusal:
            # The files for the IMPORT folder are still delivered: the sure way stays.
            failure = f"{refusal} The files for the IMPORT folder are complete."
        else:
            note = projects.LOADING_NOTE.format(path=path)
            readme += "\r\n" + note.replace("\n", "\r\n")
    write_readme(folder, export, readme)
    if export.destination == Export.Destination.ZIP:
        export.output_path = str(write_zip(export, staging_folder(export)))
        export.expires_at = timezone.now() + timedelta(days=settings.EXPORT_KEEP_DAYS)
        shutil.rmtree(staging_folder(export), ignore_errors=True)
    export.file_count = done.count()
    export.total_size = done.aggregate(total=Sum("size"))["total"] or 0
    export.save(update_fields=["output_path", "expires_at", "file_count", "total_size"])
    return close(export, Export.Status.COMPLETED, error=failure)


def write_project(export: Export, root: int, folder: int) -> str:
    """The kit as a project beside the IMPORT files; recorded on the export.

    A retry replaces the project an earlier run wrote (a ZIP's is in its staging
    folder, cleared whole), so one export leaves one project.
    """
    earlier = PurePosixPath(export.project_folder).name if export.project_folder else ""
    if export.destination == Export.Destination.ZIP:
        shutil.rmtree(staging_folder(export) / projects.PROJECTS_FOLDER[0], ignore_errors=True)
        earlier = ""
    export.project_folder = projects.write_project(
        export, root, folder, top_folder(export), replaces=earlier
    )
    export.save(update_fields=["project_folder"])
    return export.project_folder


def write_readme(folder: int, export: Export, text: str) -> None:
    """README.txt in the export's folder, signed when the folder is one the export created."""
    if export.folder_signature:
        text += f"\r\n{export.folder_signature}\r\n"
    with folders.new_file(folder, README) as output:
        output.write(text.encode("ascii"))


def write_zip(export: Export, folder: Path) -> Path:
    """Pack the staging folder into a ZIP that appears under its final name only when whole."""
    final = Path(settings.EXPORT_ROOT) / "zips" / export.zip_name(top_folder(export))
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_suffix(".zip.partial")
    # WAV and AIFF barely compress; storing keeps packing as fast as copying.
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.endswith(".partial"):
                archive.write(path, path.relative_to(folder).as_posix())
    with zipfile.ZipFile(partial) as archive:
        broken = archive.testzip()
    if broken:
        partial.unlink(missing_ok=True)
        raise OSError(f"The ZIP failed its own check at {broken}.")
    os.replace(partial, final)
    return final


def close(export: Export, status: str, error: str = "") -> Export:
    export.status = status
    export.error = error
    export.finished_at = timezone.now()
    export.save(update_fields=["status", "error", "finished_at"])
    return export


def finish_cancelled(export: Export) -> Export:
    export.refresh_from_db()
    shutil.rmtree(staging_folder(export), ignore_errors=True)
    export.finished_at = timezone.now()
    export.save(update_fields=["finished_at"])
    return export


def remove_expired() -> int:
    """Delete ZIPs past their keeping time (scheduled daily); the history stays."""
    expired = Export.objects.filter(expires_at__lt=timezone.now()).exclude(output_path="")
    count = 0
    for export in expired.filter(destination=Export.Destination.ZIP):
        Path(export.output_path).unlink(missing_ok=True)
        export.output_path = ""
        export.save(update_fields=["output_path"])
        count += 1
    return count

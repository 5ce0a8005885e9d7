"""Running an export: convert, verify, describe, and deliver as a ZIP or into a folder.

Safe to run again after a crash: finished files are verified and kept, the rest
are converted, and a ZIP is only ever published whole (written beside its final
name, then renamed).
"""

import logging
import os
import shutil
import zipfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from exports.models import Export, ExportItem
from exports.planning import top_folder
from exports.sp404 import ConversionError, PadMapRow, convert, pad_map_text, verify
from library.music import camelot

logger = logging.getLogger(__name__)


def work_folder(export: Export) -> Path:
    """Where the files are written: a staging folder for ZIPs, the chosen folder otherwise."""
    if export.destination == Export.Destination.FOLDER:
        return Path(export.output_path)
    return Path(settings.EXPORT_ROOT) / "staging" / str(export.pk)


def run(export: Export, progress=None) -> Export:
    """Convert every pending item, then deliver; returns the export in its final state."""
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.RUNNING, started_at=export.started_at or timezone.now(), error=""
    )
    folder = work_folder(export)
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
    return deliver(export, folder)


def convert_item(item: ExportItem, folder: Path, options) -> None:
    """Write one file and read it back; the item records what happened."""
    target = folder / item.output_name
    target.parent.mkdir(parents=True, exist_ok=True)
    if item.sample is None:
        return mark(
            item, ExportItem.Status.FAILED, error="The sample was deleted from the library."
        )
    try:
        result = convert(Path(item.sample.file.path), target, options)
    except ConversionError as error:
        return mark(item, ExportItem.Status.FAILED, error=str(error))
    except OSError as error:
        return mark(item, ExportItem.Status.FAILED, error=f"Could not write the file: {error}.")
    check = verify(target, result)
    if not check.ok:
        target.unlink(missing_ok=True)
        return mark(item, ExportItem.Status.FAILED, error="; ".join(check.problems))
    summary = f"{result.sample_rate} Hz, {result.bit_depth}-bit, {result.channels} ch, {result.frames} frames"
    mark(
        item,
        ExportItem.Status.DONE,
        size=target.stat().st_size,
        verification=f"Verified: {summary}",
        warnings=" ".join(result.warnings),
    )


def mark(item: ExportItem, status: str, **fields) -> None:
    for name, value in {"status": status, **fields}.items():
        setattr(item, name, value)
    item.save(update_fields=["status", *fields])


def pad_map_rows(export: Export) -> list[PadMapRow]:
    rows = []
    items = export.items.filter(status=ExportItem.Status.DONE).select_related("sample")
    pads = {}
    if export.kit_id:
        pads = {(pad.bank, pad.pad_number): pad for pad in export.kit.pads.all()}
    for item in items:
        pad = pads.get((item.bank, item.pad_number))
        sample = item.sample
        key = (
            f"{sample.key} {sample.scale} ({camelot(sample.key, sample.scale)})"
            if sample and sample.key
            else None
        )
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


def deliver(export: Export, folder: Path) -> Export:
    """Write the README, publish the ZIP if one was asked for, and close the export."""
    export.refresh_from_db()
    done = export.items.filter(status=ExportItem.Status.DONE)
    if not done.exists():
        return close(export, Export.Status.FAILED, error="No file could be exported.")
    top = folder / top_folder(export)
    top.mkdir(parents=True, exist_ok=True)
    (top / "README.txt").write_text(
        pad_map_text(export.name, pad_map_rows(export)), encoding="ascii"
    )
    if export.destination == Export.Destination.ZIP:
        export.output_path = str(write_zip(export, folder))
        export.expires_at = timezone.now() + timedelta(days=settings.EXPORT_KEEP_DAYS)
        shutil.rmtree(folder, ignore_errors=True)
    export.file_count = done.count()
    export.total_size = done.aggregate(total=Sum("size"))["total"] or 0
    export.save(update_fields=["output_path", "expires_at", "file_count", "total_size"])
    return close(export, Export.Status.COMPLETED)


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
    shutil.rmtree(Path(settings.EXPORT_ROOT) / "staging" / str(export.pk), ignore_errors=True)
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

"""A loop's slices: cutting them (rows that read the loop's frames), and hearing one.

A slice row shares its loop's stored file and hash; its start and end frames
say which part of that file it is. Chopping again reuses the rows in order,
so the pads a slice was sent to follow the new cut, and analyses only what moved.
"""

import contextlib
from dataclasses import dataclass, field

import numpy as np
import soundfile as sf
from django.db import transaction
from django.utils import timezone

from library import chops
from library.models import Sample
from library.signals import purging, released
from library.tasks import queue_analysis

# The loop's columns a slice carries over: the audio's shape, where it came from.
INHERITED = ("file", "original_filename", "source_path", "sha256", "format", "sample_rate",
             "channels", "bit_depth", "genre")  # fmt: skip


@dataclass
class Chopped:
    """What a chop did: the loop's live slices in order, and how many of them changed."""

    slices: list[Sample] = field(default_factory=list)
    created: int = 0
    moved: int = 0
    removed: int = 0


def slice_name(loop_name: str, number: int) -> str:
    """ "AMEN s01": the loop's name and the slice's place in it."""
    return f"{loop_name[:248]} s{number:02d}"


def frame_count(loop: Sample) -> int:
    """How many frames the loop's file holds (its header says; the row keeps seconds)."""
    try:
        return sf.info(loop.file.path).frames
    except (RuntimeError, OSError):
        return round(loop.duration * loop.sample_rate)


def loop_mono(loop: Sample) -> np.ndarray:
    """The loop's audio mixed to one channel, for finding zero crossings."""
    audio, _rate = sf.read(loop.file.path, dtype="float32", always_2d=True)
    return audio.mean(axis=1)


def chop(loop: Sample, cuts, *, snap: bool = False) -> Chopped:
    """Cut the loop at these frames into slices, replacing its earlier chop, in one transaction.

    No cuts removes the slices. A slice dropped by the new chop leaves the
    pads it was on (the kit keeps a note) and is deleted; its audio was never a copy.
    """
    frames = frame_count(loop)
    if snap and cuts:
        # A file that cannot be read now leaves the cuts where they were put.
        with contextlib.suppress(RuntimeError, OSError):
            cuts = chops.to_zero_crossings(loop_mono(loop), cuts, loop.sample_rate)
    cuts = chops.cleaned(cuts, frames, loop.sample_rate)
    spans = chops.ranges(cuts, frames) if cuts else []
    result = Chopped()
    with transaction.atomic():
        # Two chops of one loop at once take turns: each sees the other's slices.
        Sample.objects.select_for_update().filter(pk=loop.pk).first()
        existing = list(loop.slices.alive().order_by("start_frame", "pk"))
        changed = []
        for number, (start, end) in enumerate(spans, start=1):
            if number <= len(existing):
                row = existing[number - 1]
                if (row.start_frame, row.end_frame) != (start, end):
                    moved_slice(row, start, end, loop)
                    changed.append(row)
                    result.moved += 1
            else:
                row = new_slice(loop, number, start, end)
                changed.append(row)
                result.created += 1
            result.slices.append(row)
        for row in existing[len(spans) :]:
            purging.send(sender=Sample, sample=row)
            row.delete()
            result.removed += 1
        queue_analysis([row.pk for row in changed])
    return result


def new_slice(loop: Sample, number: int, start: int, end: int) -> Sample:
    values = {name: getattr(loop, name) for name in INHERITED}
    return Sample.objects.create(
        owner_id=loop.owner_id,
        parent=loop,
        name=slice_name(loop.name, number),
        start_frame=start,
        end_frame=end,
        duration=(end - start) / loop.sample_rate,
        file_size=share_of_size(loop, end - start),
        **values,
    )


def moved_slice(row: Sample, start: int, end: int, loop: Sample) -> None:
    """Give a slice a new range; it waits for analysis of its new frames."""
    row.start_frame, row.end_frame = start, end
    row.duration = (end - start) / loop.sample_rate
    row.file_size = share_of_size(loop, end - start)
    row.status, row.error, row.updated_at = Sample.Status.PENDING, "", timezone.now()
    fields = ["start_frame", "end_frame", "duration", "file_size", "status", "error", "updated_at"]
    Sample.objects.filter(pk=row.pk).update(**{name: getattr(row, name) for name in fields})


def share_of_size(loop: Sample, frames: int) -> int:
    """A slice's part of its loop's file size, in proportion to its frames."""
    total = max(round(loop.duration * loop.sample_rate), 1)
    return min(loop.file_size, round(loop.file_size * frames / total))


def trash_loop(loop: Sample, *, off_pads: bool) -> int:
    """Move a loop and its live slices to the trash together; ``off_pads`` also empties
    the pads the slices are on. Returns how many slices went with it."""
    moment = timezone.now()
    with transaction.atomic():
        slices = list(loop.slices.alive())
        for row in slices if off_pads else []:
            released.send(sender=Sample, sample=row)
        # One moment for all: restoring the loop brings back exactly these.
        Sample.objects.filter(pk__in=[row.pk for row in slices]).update(
            deleted_at=moment, updated_at=moment
        )
        loop.deleted_at = moment
        loop.save(update_fields=["deleted_at", "updated_at"])
    return len(slices)


def restore_loop(loop: Sample) -> None:
    """Bring a loop back with the slices that went to the trash with it."""
    with transaction.atomic():
        loop.slices.filter(deleted_at=loop.deleted_at).update(
            deleted_at=None, updated_at=timezone.now()
        )
        loop.restore()

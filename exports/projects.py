"""A kit export as an SP-404MK2 project: EXPORT/PROJECT/<name>/ beside IMPORT/<name>/.

The project is made from the files the export has just converted and verified
(48 kHz / 16-bit), so its .SMP audio is the IMPORT files' audio sample for
sample. It is written into a folder this export creates, then read back with
the format's reader and compared with what was meant. Experimental: no
generated project has been confirmed on a unit yet.
"""

import contextlib
import os
import re
from collections import defaultdict

import soundfile as sf

from exports import folders
from exports.folders import UnsafeFolder
from exports.models import Export, ExportItem
from exports.naming import folder_name
from exports.planning import sample_stem
from exports.sp404_project import (
    MAX_MARKS,
    PAD_NAME_LENGTH,
    PROJECT_NAME_LENGTH,
    SMP_HEADER_SIZE,
    SMP_SAMPLE_RATE,
    Project,
    ProjectFormatError,
    filled_pads,
    read_padconf,
    read_smp_header,
    smp_name,
    write_padconf,
    write_smp,
)
from library.models import Sample

IMPORT_FOLDER = "IMPORT"
PROJECTS_FOLDER = ("EXPORT", "PROJECT")
PADCONF = "PADCONF.BIN"
SAMPLES_FOLDER = "SMPL"
BLOCK_FRAMES = 1 << 16
NOT_WRITTEN = "The SP-404MK2 project could not be written"
# The files a project export writes, and nothing else is ever deleted.
OWN_FILE = re.compile(r"(PADCONF\.BIN|BANK([1-9]|10)-(0[1-9]|1[0-6])\.SMP)(\.partial)?")

LOADING_NOTE = """\
The same kit as an SP-404MK2 project (experimental): {path}
Every pad is already assigned in it, with its name, volume, pitch, gate, loop,
reverse, BPM for loops and chop marks. Projects made by this app have not yet
been confirmed on a unit, so:
1. Back up the card on a computer, and the unit's projects with its BACKUP
   function (reference manual: "Backing up your data").
2. Copy the EXPORT folder to the root of the SD card, merging with the one there.
3. Load it with the unit's IMPORT PROJECT (reference manual: "Importing a
   project"), choosing this project and a project slot you can spare.
4. If the unit refuses it, import the files of this folder as described above,
   and report the unit's message and firmware version.
"""


class ProjectNotWritten(Exception):
    """The project could not be written or did not read back as meant; the message says why."""


def import_folder(root: int) -> int:
    """IMPORT inside the export's root (the card, or the ZIP's staging), made if missing."""
    return folders.open_folder(root, IMPORT_FOLDER, create=True)


def write_project(export: Export, root: int, files: int, name: str, replaces: str = "") -> str:
    """The kit as a project in root's EXPORT/PROJECT/<name> (or a numbered folder beside it).

    files is the export's own folder of converted files (inside IMPORT). The
    project is written into a hidden folder of this export's and takes its name
    only once it has read back right, so the unit never finds half a project; a
    run killed on the way left that hidden folder, and the next run clears it
    first. replaces names the project an earlier run of this export wrote (a
    retry): its files make way for the new ones, and its name is used again.
    """
    hidden = f".sp404site-export-{export.pk}.partial"
    try:
        parent = projects_folder(root)
    except UnsafeFolder as refusal:
        raise ProjectNotWritten(f"{NOT_WRITTEN}: {refusal}") from None
    with folders.opened(parent):
        try:
            clear_own(parent, hidden)
            with folders.opened(folders.open_folder(parent, hidden, create=True)) as folder:
                project = fill(export, files, folder)
                check(project, folder)
            if replaces:
                clear_own(parent, replaces)
            created = take_name(parent, hidden, name)
        except (ProjectFormatError, UnsafeFolder, OSError, RuntimeError) as error:
            clear_own(parent, hidden)
            raise ProjectNotWritten(f"{NOT_WRITTEN}: {error}") from None
    return "/".join([*PROJECTS_FOLDER, created])  # e.g. "EXPORT/PROJECT/MY KIT"


def take_name(parent: int, hidden: str, name: str) -> str:
    """Give the finished project its name: name, or "name 2"... when that is taken."""
    created, claimed = folders.create_beside(parent, name)
    os.close(claimed)
    try:
        # Over the empty folder just made for it: the name was free, and stays ours.
        os.rename(hidden, created, src_dir_fd=parent, dst_dir_fd=parent)
    except OSError:
        with contextlib.suppress(OSError):
            os.rmdir(created, dir_fd=parent)
        raise
    return created


def projects_folder(root: int) -> int:
    """EXPORT/PROJECT in root, made if missing, never through a link."""
    parent = os.dup(root)
    for part in PROJECTS_FOLDER:
        with folders.opened(parent) as outer:
            parent = folders.open_folder(outer, part, create=True)
    return parent


def fill(export: Export, files: int, folder: int) -> Project:
    """Write each pad's .SMP and PADCONF.BIN; returns the project as meant."""
    project = new_project(export)
    items = export.items.filter(status=ExportItem.Status.DONE).exclude(bank="")
    pads = export.kit_pads()
    marks = slice_starts(pad for pad in pads.values() if pad.chop_marks)
    for item in items.select_related("sample").order_by("bank", "pad_number"):
        target = f"{SAMPLES_FOLDER}/{smp_name(item.bank, item.pad_number)}"
        source = item.output_name.split("/", 1)[-1]
        frames, channels = copy_audio(files, source, folder, target)
        pad = project.pad(item.bank, item.pad_number)
        pad.set_audio(frames, channels)
        settings = pads.get((item.bank, item.pad_number))
        if settings is not None and settings.sample_id != item.sample_id:
            settings = None  # the pad was given another sample since the export began
        describe(pad, item.sample, settings, export.uppercase)
        if settings is not None and settings.chop_marks:
            starts = marks.get(settings.sample_id, [])
            pad.marks = chop_marks(starts, item.sample, frames)
            if len(starts) > MAX_MARKS:
                warn(item, f"Only its first {MAX_MARKS} of {len(starts)} slices are chop marks.")
            elif not starts:
                warn(
                    item,
                    "It has chop marks in the kit, but its loop has no slices now: none written.",
                )
    with folders.new_file(folder, PADCONF) as output:
        output.write(write_padconf(project))
    return project


def warn(item: ExportItem, note: str) -> None:
    """Add note to the item's warnings, once however often the export runs."""
    if note not in item.warnings:
        item.warnings = f"{item.warnings} {note}".strip()
        item.save(update_fields=["warnings"])


def new_project(export: Export) -> Project:
    """A new project named after the export, at the kit's tempo when it has one."""
    name = folder_name(export.name, max_length=PROJECT_NAME_LENGTH, uppercase=export.uppercase)
    project = Project(name=name)
    tempo = export.kit.tempo_bpm if export.kit_id else None
    if tempo:
        project.tempo_mode = "project"
        project.project_bpm = round(tempo, 2)
        project.bank_bpm = [round(tempo, 2)] * len(project.bank_bpm)
    return project


def describe(pad, sample, settings, uppercase: bool) -> None:
    """The pad's name, its settings from the kit, and a loop's tempo."""
    if sample is not None:
        pad.name = sample_stem(sample, PAD_NAME_LENGTH, uppercase)
        if sample.kind == sample.Kind.LOOP and sample.tempo_bpm:
            pad.bpm = round(sample.tempo_bpm, 2)
    if settings is not None:
        pad.volume, pad.pitch = settings.volume, settings.pitch
        pad.gate, pad.loop, pad.reverse = settings.gate, settings.loop, settings.reverse


def slice_starts(pads) -> dict[int, list[int]]:
    """For each marked pad's loop, where its live slices start (in its own frames), one query."""
    loops = {pad.sample_id for pad in pads}
    starts = defaultdict(list)
    slices = Sample.objects.filter(parent_id__in=loops).alive().order_by("start_frame")
    for parent, start in slices.values_list("parent_id", "start_frame"):
        starts[parent].append(start)
    return starts


def chop_marks(starts: list[int], sample, frames: int) -> list[int]:
    """The slices' starts as frames of the converted audio: at most 16, each inside it."""
    scale = SMP_SAMPLE_RATE / sample.sample_rate
    marks = sorted({min(round(start * scale), frames - 1) for start in starts})
    return marks[:MAX_MARKS]


def copy_audio(files: int, source: str, folder: int, target: str) -> tuple[int, int]:
    """The converted file source (in files) as the .SMP target (in folder): frames, channels."""
    with folders.open_file(files, source) as audio, sf.SoundFile(audio) as sound:
        if sound.samplerate != SMP_SAMPLE_RATE or sound.subtype != "PCM_16":
            raise ProjectFormatError(
                f"{source} is {sound.samplerate} Hz {sound.subtype}, not 48 kHz 16-bit."
            )
        blocks = sound.blocks(BLOCK_FRAMES, dtype="int16", always_2d=True)
        with folders.new_file(folder, target) as output:
            write_smp(output, blocks, sound.frames, sound.channels)
        return sound.frames, sound.channels


def check(project: Project, folder: int) -> None:
    """Read PADCONF.BIN and every .SMP back: they must say what was meant."""
    with folders.open_file(folder, PADCONF) as padconf:
        if read_padconf(padconf.read()) != project:
            raise ProjectFormatError(f"{PADCONF} did not read back as written.")
    for bank, number, pad in filled_pads(project):
        name = f"{SAMPLES_FOLDER}/{smp_name(bank, number)}"
        with folders.open_file(folder, name) as smp:
            header = read_smp_header(smp.read(SMP_HEADER_SIZE))
            size = os.fstat(smp.fileno()).st_size
        if not size == header.size == pad.size:
            raise ProjectFormatError(f"{name} holds {size} bytes; its pad says {pad.size}.")


def clear_own(parent: int, name: str) -> None:
    """Remove the project folder name in parent, if only files this module writes are in it.

    Only PADCONF.BIN and SMPL/BANK<n>-<pp>.SMP (and their ".partial" forms) are
    deleted; a folder that still holds anything else stays, with that.
    """
    try:
        folder = folders.open_folder(parent, name)
    except UnsafeFolder:
        return  # not there (or not a folder): nothing of ours
    with folders.opened(folder):
        unlink_own(folder)
        with (
            contextlib.suppress(UnsafeFolder),
            folders.opened(folders.open_folder(folder, SAMPLES_FOLDER)) as samples,
        ):
            unlink_own(samples)
        with contextlib.suppress(OSError):
            os.rmdir(SAMPLES_FOLDER, dir_fd=folder)
    with contextlib.suppress(OSError):
        os.rmdir(name, dir_fd=parent)


def unlink_own(folder: int) -> None:
    for entry in os.listdir(folder):
        if OWN_FILE.fullmatch(entry):
            with contextlib.suppress(OSError):
                os.unlink(entry, dir_fd=folder)

"""A kit export as an SP-404MK2 project: EXPORT/PROJECT/<name>/ beside IMPORT/<name>/.

The project is made from the files the export has just converted and verified
(48 kHz / 16-bit), so its .SMP audio is the IMPORT files' audio sample for
sample. It is written into a folder this export creates, then read back with
the format's reader and compared with what was meant. Experimental: no
generated project has been confirmed on a unit yet.
"""

import contextlib
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

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


@dataclass(frozen=True)
class WrittenProject:
    path: str  # inside the export, e.g. "EXPORT/PROJECT/MY KIT"
    pads: int


def import_folder(root: int) -> int:
    """IMPORT inside the export's root (the card, or the ZIP's staging), made if missing."""
    return folders.open_folder(root, IMPORT_FOLDER, create=True)


def write_project(export: Export, root: int, files: int, name: str) -> WrittenProject:
    """The kit as a project in root's EXPORT/PROJECT/<name> (or a numbered folder beside it).

    files is the export's own folder of converted files (inside IMPORT). A project
    that fails is removed again, so no half project is left for the unit to load.
    """
    try:
        parent = projects_folder(root)
    except UnsafeFolder as refusal:
        raise ProjectNotWritten(f"The SP-404MK2 project could not be written: {refusal}") from None
    with folders.opened(parent):
        created, folder = folders.create_beside(parent, name)
        written: list[str] = []
        with folders.opened(folder):
            try:
                project = fill(export, files, folder, written)
                check(project, folder)
            except (ProjectFormatError, UnsafeFolder, OSError, RuntimeError) as error:
                remove(folder, written)
                with contextlib.suppress(OSError):
                    os.rmdir(created, dir_fd=parent)
                raise ProjectNotWritten(
                    f"The SP-404MK2 project could not be written: {error}"
                ) from None
    path = "/".join([*PROJECTS_FOLDER, created])
    return WrittenProject(path, sum(not pad.is_empty for pad in project.pads))


def projects_folder(root: int) -> int:
    """EXPORT/PROJECT in root, made if missing, never through a link."""
    parent = os.dup(root)
    for part in PROJECTS_FOLDER:
        with folders.opened(parent) as outer:
            parent = folders.open_folder(outer, part, create=True)
    return parent


def fill(export: Export, files: int, folder: int, written: list[str]) -> Project:
    """Write each pad's .SMP and PADCONF.BIN; returns the project as meant."""
    project = new_project(export)
    items = export.items.filter(status=ExportItem.Status.DONE).exclude(bank="")
    pads = {}
    if export.kit_id:
        pads = {(pad.bank, pad.pad_number): pad for pad in export.kit.pads.all()}
    marks = slice_starts(pad for pad in pads.values() if pad.chop_marks)
    for item in items.select_related("sample").order_by("bank", "pad_number"):
        target = f"{SAMPLES_FOLDER}/{smp_name(item.bank, item.pad_number)}"
        written.append(target)
        source = item.output_name.split("/", 1)[-1]
        frames, channels, rate = copy_audio(files, source, folder, target)
        pad = project.pad(item.bank, item.pad_number)
        pad.set_audio(frames, channels)
        settings = pads.get((item.bank, item.pad_number))
        describe(pad, item.sample, settings, export.uppercase)
        if settings is not None and settings.sample_id in marks:
            starts = marks[settings.sample_id]
            pad.marks = chop_marks(starts, item.sample, frames, rate)
            if len(starts) > MAX_MARKS:
                note = f"Only its first {MAX_MARKS} of {len(starts)} slices are chop marks."
                item.warnings = f"{item.warnings} {note}".strip()
                item.save(update_fields=["warnings"])
    with folders.new_file(folder, PADCONF) as output:
        written.append(PADCONF)
        output.write(write_padconf(project))
    return project


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


def chop_marks(starts: list[int], sample, frames: int, rate: int) -> list[int]:
    """The slices' starts as frames of the converted audio: at most 16, each inside it."""
    scale = rate / sample.sample_rate
    marks = sorted({min(round(start * scale), frames - 1) for start in starts})
    return marks[:MAX_MARKS]


def copy_audio(files: int, source: str, folder: int, target: str) -> tuple[int, int, int]:
    """The converted file source (in files) as the .SMP target (in folder): frames, channels, rate."""
    with opened_file(files, source) as audio, sf.SoundFile(audio) as sound:
        if sound.samplerate != 48000 or sound.subtype != "PCM_16":
            raise ProjectFormatError(
                f"{source} is {sound.samplerate} Hz {sound.subtype}, not 48 kHz 16-bit."
            )
        blocks = sound.blocks(BLOCK_FRAMES, dtype="int16", always_2d=True)
        with folders.new_file(folder, target) as output:
            write_smp(output, blocks, sound.frames, sound.channels)
        return sound.frames, sound.channels, sound.samplerate


def check(project: Project, folder: int) -> None:
    """Read PADCONF.BIN and every .SMP back: they must say what was meant."""
    with opened_file(folder, PADCONF) as padconf:
        if read_padconf(padconf.read()) != project:
            raise ProjectFormatError(f"{PADCONF} did not read back as written.")
    for bank, number, pad in filled_pads(project):
        name = f"{SAMPLES_FOLDER}/{smp_name(bank, number)}"
        with opened_file(folder, name) as smp:
            header = read_smp_header(smp.read(SMP_HEADER_SIZE))
            size = os.fstat(smp.fileno()).st_size
        if not size == header.size == pad.size:
            raise ProjectFormatError(f"{name} holds {size} bytes; its pad says {pad.size}.")


@contextlib.contextmanager
def inside(folder: int, relative: str) -> Iterator[tuple[int, str]]:
    """(the folder holding relative's last part, that part), without following links."""
    *parts, name = relative.split("/")
    directory = os.dup(folder)
    for part in parts:
        with folders.opened(directory) as parent:
            directory = folders.open_folder(parent, part)
    with folders.opened(directory):
        yield directory, name


def opened_file(folder: int, relative: str) -> BinaryIO:
    with inside(folder, relative) as (directory, name):
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
        return os.fdopen(os.open(name, flags, dir_fd=directory), "rb")


def remove(folder: int, written: list[str]) -> None:
    """Delete the files this export wrote into its project folder, and SMPL when empty."""
    for relative in written:
        with contextlib.suppress(OSError, UnsafeFolder), inside(folder, relative) as (parent, name):
            os.unlink(name, dir_fd=parent)
    with contextlib.suppress(OSError):
        os.rmdir(SAMPLES_FOLDER, dir_fd=folder)

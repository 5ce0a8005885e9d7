"""SP-404MK2 exports: convert audio, name files, check what was written, describe the kit.

A pure module (no Django): the public API lives here. The audio work is in
exports.convert, names in exports.naming, limits and types in exports.options.
"""

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

import soundfile as sf

from exports.convert import convert, inspect_source
from exports.naming import (
    BANKS,
    MAX_STEM_LENGTH,
    PADS_PER_BANK,
    bank_letter,
    bpm_range_folder,
    folder_name,
    name_problems,
    pad_file_name,
    safe_stem,
    to_ascii,
    unique_name,
)
from exports.options import (
    DEFAULT_OPTIONS,
    FORMATS,
    MAX_SECONDS,
    MIN_MILLISECONDS,
    ConversionError,
    ConversionResult,
    EmptyAudioError,
    ExportOptions,
    SampleTooLongError,
    SourceInfo,
    UnreadableAudioError,
    expected_frames,
)

__all__ = [
    "BANKS",
    "DEFAULT_OPTIONS",
    "MAX_SECONDS",
    "MAX_STEM_LENGTH",
    "MIN_MILLISECONDS",
    "PADS_PER_BANK",
    "ConversionError",
    "ConversionResult",
    "EmptyAudioError",
    "ExportOptions",
    "PadMapRow",
    "SampleTooLongError",
    "SourceInfo",
    "UnreadableAudioError",
    "VerificationResult",
    "bank_letter",
    "bpm_range_folder",
    "convert",
    "expected_frames",
    "folder_name",
    "inspect_source",
    "name_problems",
    "pad_file_name",
    "pad_map_text",
    "safe_stem",
    "to_ascii",
    "unique_name",
    "verify",
]

_README_COLUMNS = (
    "Bank",
    "Pad",
    "File",
    "Tempo",
    "Key",
    "Volume",
    "Pitch",
    "Gate",
    "Loop",
    "Reverse",
)


@dataclass(frozen=True)
class VerificationResult:
    """What re-reading a written file found; ok when there are no problems."""

    path: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        """Whether the file is what the export promised."""
        return not self.problems


@dataclass(frozen=True)
class PadMapRow:
    """One file in a README: the bank and pad it goes on (if any) and how to set the pad."""

    bank: str  # "" for a file that is not on a kit's pad
    pad_number: int | None
    file_path: str
    tempo_bpm: float | None = None
    key: str | None = None
    volume: int | None = None
    pitch_semitones: float | None = None
    gate: bool = False
    loop: bool = False
    reverse: bool = False


class _Expected(NamedTuple):
    """The properties a written file must have."""

    format: str
    sample_rate: int
    bit_depth: int
    channels: int | None
    frames: int | None
    uppercase: bool


def verify(
    path: str | os.PathLike,
    expected: ExportOptions | ConversionResult,
    expected_frames: int | None = None,
    *,
    written: BinaryIO | None = None,
) -> VerificationResult:
    """Re-read a written file's header and check it against the options or the result.

    The header is read from path, or from the open file written when one is given
    (path then only names it).
    """
    path = os.fspath(path)
    wanted = _expectations(expected, expected_frames)
    problems = _file_name_problems(os.path.basename(path), wanted)
    try:
        if written is not None:
            written.seek(0)
        info = sf.info(path if written is None else written)
    except (RuntimeError, OSError) as error:
        return VerificationResult(path, [*problems, f"The file cannot be read back: {error}"])
    return VerificationResult(path, [*_audio_problems(info, wanted), *problems])


def pad_map_text(export_name: str, rows: Iterable[PadMapRow | Mapping]) -> str:
    """A plain-ASCII README that maps each bank and pad to its file and pad settings.

    Files that are not on a pad come last; when none is on a pad, the table is
    just files with their tempo and key.
    """
    pads = sorted(
        map(_as_pad_map_row, rows),
        key=lambda row: (not row.bank, row.bank.upper(), row.pad_number or 0, row.file_path),
    )
    on_pads = any(row.bank for row in pads)
    columns = slice(None) if on_pads else slice(2, 5)
    table = [_README_COLUMNS[columns], *(_readme_cells(row)[columns] for row in pads)]
    widths = [max(len(cells[column]) for cells in table) for column in range(len(table[0]))]
    lines = [*_readme_introduction(export_name, on_pads), _readme_line(table[0], widths)]
    for index, (row, cells) in enumerate(zip(pads, table[1:], strict=True)):
        if index and row.bank.upper() != pads[index - 1].bank.upper():
            lines.append("")
        lines.append(_readme_line(cells, widths))
    # CRLF: the card is FAT and gets opened on any computer; old Windows Notepad
    # shows LF-only text as one long line, and every other editor reads CRLF.
    return "\r\n".join(lines) + "\r\n"


def _expectations(expected: ExportOptions | ConversionResult, frames: int | None) -> _Expected:
    """What verify() checks, from export options or from a conversion result."""
    if isinstance(expected, ConversionResult):
        return _Expected(
            expected.format,
            expected.sample_rate,
            expected.bit_depth,
            expected.channels,
            expected.frames if frames is None else frames,
            uppercase=False,
        )
    channels = 1 if expected.mono else None
    return _Expected(
        expected.format,
        expected.sample_rate,
        expected.bit_depth,
        channels,
        frames,
        expected.uppercase,
    )


def _audio_problems(info, wanted: _Expected) -> list[str]:
    """Differences between a header read by soundfile.info() and what the export promised."""
    container, _ = FORMATS[wanted.format]
    checks = [
        (info.format == container, f"The file is {info.format}, not {container}."),
        (
            info.subtype == f"PCM_{wanted.bit_depth}",
            f"The samples are {info.subtype}, not {wanted.bit_depth}-bit PCM.",
        ),
        (
            info.samplerate == wanted.sample_rate,
            f"The sample rate is {info.samplerate} Hz, not {wanted.sample_rate} Hz.",
        ),
        (
            info.channels in ((1, 2) if wanted.channels is None else (wanted.channels,)),
            f"The file has {info.channels} channels, not {wanted.channels or '1 or 2'}.",
        ),
        (
            wanted.frames is None or abs(info.frames - wanted.frames) <= 1,
            f"The file has {info.frames} frames, not {wanted.frames}.",
        ),
        (info.frames > 0, "The file holds no audio."),
        (
            info.frames <= MAX_SECONDS * info.samplerate,
            f"The file is longer than the {MAX_SECONDS // 60} minutes the SP-404MK2 takes.",
        ),
    ]
    return [message for passed, message in checks if not passed]


def _file_name_problems(file_name: str, wanted: _Expected) -> list[str]:
    """Name rules for the unit plus the extension and case the export promised."""
    problems = name_problems(file_name)
    stem, _, extension = file_name.rpartition(".")
    expected_extension = FORMATS[wanted.format][1]
    if extension.lower() not in (expected_extension, wanted.format):
        problems.append(f"{file_name!r} should end in .{expected_extension}.")
    if wanted.uppercase and stem != stem.upper():
        problems.append(f"{file_name!r} should be in capitals.")
    return problems


def _as_pad_map_row(row: PadMapRow | Mapping) -> PadMapRow:
    """Accept rows as PadMapRow or as plain mappings with the same keys."""
    return row if isinstance(row, PadMapRow) else PadMapRow(**row)


def _readme_cells(row: PadMapRow) -> tuple[str, ...]:
    """The text of each column for one pad."""
    return (
        to_ascii(row.bank).upper(),
        "" if row.pad_number is None else str(row.pad_number),
        to_ascii(row.file_path.replace(os.sep, "/")),
        "-" if row.tempo_bpm is None else f"{round(row.tempo_bpm, 2):g}",
        to_ascii(row.key) if row.key else "-",
        "-" if row.volume is None else str(row.volume),
        _pitch_text(row.pitch_semitones),
        *("on" if flag else "off" for flag in (row.gate, row.loop, row.reverse)),
    )


def _pitch_text(semitones: float | None) -> str:
    """Pitch in semitones with its sign, "0" when unchanged."""
    if not semitones:
        return "0"
    return f"{round(semitones, 2):+g}"


def _readme_introduction(export_name: str, on_pads: bool) -> list[str]:
    """The title and the steps to load the kit (or loose samples) onto the unit."""
    # Letters without a Latin spelling vanish, and may leave a separator
    # hanging ("Tape Vol. 1 - <Japanese>" becomes "Tape Vol. 1 -").
    name = " ".join(to_ascii(export_name).split()).strip(" -_|/:;,")
    title = f"SP-404MK2 {'kit' if on_pads else 'samples'}" + (f": {name}" if name else "")
    steps = [
        "1. Copy this folder into the IMPORT folder on the SD card.",
        "2. On the SP-404MK2 press SHIFT + pad 14 (IMPORT), choose SD-CARD, then SAMPLE.",
    ]
    if on_pads:
        steps += [
            "3. Open this folder and import each file onto the bank and pad listed below.",
            "4. Set volume, pitch, gate, loop and reverse on each pad as listed:",
            "   the files do not carry these settings.",
        ]
    else:
        steps.append("3. Open this folder and import each file onto a pad of your choice.")
    return [title, "=" * len(title), "", "How to load it:", *steps, ""]


def _readme_line(cells: tuple[str, ...], widths: list[int]) -> str:
    """One table line with columns padded to a common width."""
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

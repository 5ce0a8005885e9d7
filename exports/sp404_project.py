"""SP-404MK2 project files: PADCONF.BIN and SMPL/*.SMP, read and written as dataclasses.

A pure module (no Django). The layout comes from a community study of real
device files (../shared/SP404MK2.md in the project's documents); nothing this
module writes from scratch has been confirmed on a unit, so generated projects
are experimental.

Byte-exact: a file read and written again is identical, whatever it holds.
Every record keeps the bytes it was read from, and writing changes only the
fields whose decoded value differs from what those bytes already say, so a
word that is not understood, or a flag stored in a form this code would not
write, stays as it was. A new project starts from the bytes real files hold for
a new project's header and for an empty pad.
"""

import operator
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from core.sp404mk2 import BANKS, MAX_PAD_VOLUME, PADS_PER_BANK, is_pad

PAD_COUNT = len(BANKS) * PADS_PER_BANK

PADCONF_SIZE = 52_000
# The variant reported from one export: format version 2, 128 bytes of header
# (no project name) and no chop-mark block. Its size is what fits exactly:
# 31,488 = 128 + 160 x 172 + 160 x 24, and the header's own word at 0x0C
# (0x7A80) is the size of those pad records and names in both variants.
SHORT_PADCONF_SIZE = 31_488
HEADER_SIZE = 0xA0
SHORT_HEADER_SIZE = 0x80
PAD_RECORD_SIZE = 172
NAME_SIZE = 24
CHOP_SIZE = 128
MAX_MARKS = 16
NO_MARK = 0xFFFF_FFFF
PROJECT_NAME_LENGTH = 32
PAD_NAME_LENGTH = NAME_SIZE - 1

SMP_HEADER_SIZE = 512  # audio starts here; pad start/end words are byte offsets into the file
SMP_SAMPLE_RATE = 48_000
SMP_BITS = 16

# A new project's first 160 bytes in a real file: bank tempos 90, all bank
# volumes full, the name PROJECT_16 (replaced by the project's own name).
NEW_HEADER = bytes.fromhex(
    "52465044000000a00300000000007a800000232800000000000000000000004000000040"
    "000000400000000000000020000000200000002000000020000000200000465000004650"
    "000046500000465000004650000046500000465000004650000046500000465000000000"
    "000000000000000000000000000000000000000050524f4a4543545f3136000000000000"
    "00000000000000000000000000000000"
)
# An empty pad's 43 words in real files.
EMPTY_PAD_WORDS = (
    0, 0, 0, 127, 1, 0, 1, 0, 0, 9000, 0, 0, 0, 0, 0, 0, 10000, 1, 64, 0, 1, 2, 0, 100,
    *(0,) * 19,
)  # fmt: skip
EMPTY_NAME = b" " * NAME_SIZE
EMPTY_CHOPS = struct.pack(">16I", *[NO_MARK] * MAX_MARKS) + bytes(CHOP_SIZE - 4 * MAX_MARKS)

# Ten 16-bit bank volumes at 0x6C sit in the order B, A, D, C, F, E, H, G, J, I.
_VOLUME_SLOTS = tuple(BANKS.index(bank) for bank in "BADCFEHGJI")
_LOOP_ON = 0x7FFF_FFFF
_WORDS = struct.Struct(">43I")


class ProjectFormatError(ValueError):
    """Bytes that are not an SP-404MK2 project file, or values it cannot hold."""


@dataclass
class Pad:
    """One pad's settings. start, end and loop_point are byte offsets into its .SMP."""

    size: int = 0
    start: int = 0
    end: int = 0
    volume: int = 127
    gate: bool = True
    loop: bool = False
    mute_group: int = 0
    bpm_sync: bool = False
    bpm: float = 90.0
    loop_point: int = 0
    pitch: int = 0
    fine: int = 0
    reverse: bool = False
    ping_pong: bool = False
    speed: float = 100.0  # percent
    vinyl: bool = True
    pan: int = 64  # 64 is the centre
    link: int = 0
    bus: int = 1
    attack: int = 0
    hold: int = 100
    release: int = 0
    name: str = ""
    marks: list[int] = field(default_factory=list)  # frame positions, at most 16
    # The record, name and chop bytes this pad was read from (None: a new pad).
    raw: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def is_empty(self) -> bool:
        return self.size == 0

    def frame(self, offset: int, channels: int) -> int:
        """A byte offset into the .SMP as a frame of its audio."""
        return (offset - SMP_HEADER_SIZE) // (2 * channels)

    def set_audio(self, frames: int, channels: int) -> None:
        """Point the pad at a whole .SMP of frames: start, end, loop point and size."""
        self.size = SMP_HEADER_SIZE + frames * 2 * channels
        self.start = self.loop_point = SMP_HEADER_SIZE
        self.end = self.size


@dataclass
class Project:
    """A project's PADCONF.BIN: its header and its 160 pads (index = bank x 16 + pad - 1)."""

    name: str = ""
    tempo_mode: str = "bank"  # "bank": each bank keeps its tempo; "project": one tempo
    project_bpm: float = 90.0
    bank_bpm: list[float] = field(default_factory=lambda: [90.0] * len(BANKS))
    bank_volume: list[int] = field(default_factory=lambda: [127] * len(BANKS))  # A-J
    version: int = 3
    pads: list[Pad] = field(default_factory=lambda: [Pad() for _ in range(PAD_COUNT)])
    raw: bytes | None = field(default=None, repr=False, compare=False)

    def pad(self, bank: str, number: int) -> Pad:
        return self.pads[pad_index(bank, number)]

    @property
    def is_short(self) -> bool:
        """The 31,488-byte form: no project name, no chop marks."""
        return self.raw is not None and len(self.raw) == SHORT_HEADER_SIZE


def pad_index(bank: str, number: int) -> int:
    if not is_pad(bank, number):
        raise ProjectFormatError(f"There is no pad {bank}{number}.")
    return BANKS.index(bank) * PADS_PER_BANK + number - 1


def pad_of(index: int) -> tuple[str, int]:
    """(bank letter, pad 1-16) of a pad index 0-159."""
    return BANKS[index // PADS_PER_BANK], index % PADS_PER_BANK + 1


def smp_name(bank: str, number: int) -> str:
    """The file a pad's audio lives in under SMPL/: BANK1-01.SMP for A1 ... BANK10-16.SMP."""
    pad_index(bank, number)
    return f"BANK{BANKS.index(bank) + 1}-{number:02d}.SMP"


# --- PADCONF.BIN -------------------------------------------------------------


def read_padconf(data: bytes) -> Project:
    """A project from PADCONF.BIN's bytes (52,000, or the 31,488-byte variant)."""
    if len(data) not in (PADCONF_SIZE, SHORT_PADCONF_SIZE):
        raise ProjectFormatError(
            f"A PADCONF.BIN holds {PADCONF_SIZE:,} bytes (or {SHORT_PADCONF_SIZE:,}); "
            f"this one holds {len(data):,}."
        )
    if data[:4] != b"RFPD":
        raise ProjectFormatError("This is not a PADCONF.BIN: it does not start with RFPD.")
    short = len(data) == SHORT_PADCONF_SIZE
    header = data[: SHORT_HEADER_SIZE if short else HEADER_SIZE]
    project = Project(raw=header, **_decode_header(header))
    records, names, chops = _layout(len(header), short)
    for index in range(PAD_COUNT):
        record = data[records + index * PAD_RECORD_SIZE :][:PAD_RECORD_SIZE]
        name = data[names + index * NAME_SIZE :][:NAME_SIZE]
        chop = b"" if short else data[chops + index * CHOP_SIZE :][:CHOP_SIZE]
        project.pads[index] = _decode_pad(record + name + chop)
    return project


def write_padconf(project: Project) -> bytes:
    """PADCONF.BIN's bytes for project: 52,000, or 31,488 for a project read from that form."""
    if len(project.pads) != PAD_COUNT:
        raise ProjectFormatError(f"A project has {PAD_COUNT} pads, not {len(project.pads)}.")
    header = _encode_header(project)
    short = len(header) == SHORT_HEADER_SIZE
    pads = [_encode_pad(pad, short) for pad in project.pads]
    records = b"".join(pad[:PAD_RECORD_SIZE] for pad in pads)
    names = b"".join(pad[PAD_RECORD_SIZE : PAD_RECORD_SIZE + NAME_SIZE] for pad in pads)
    chops = b"" if short else b"".join(pad[PAD_RECORD_SIZE + NAME_SIZE :] for pad in pads)
    data = header + records + names + chops
    assert len(data) == (SHORT_PADCONF_SIZE if short else PADCONF_SIZE)
    return data


def _layout(header_size: int, short: bool) -> tuple[int, int, int]:
    """Where the pad records, the names and the chop marks start."""
    records = header_size
    names = records + PAD_COUNT * PAD_RECORD_SIZE
    return records, names, (0 if short else names + PAD_COUNT * NAME_SIZE)


@dataclass(frozen=True)
class _Slot:
    """Where a header value lives and how it is stored."""

    offset: int
    format: str  # struct format of the stored value, big-endian
    decode: Callable = int
    encode: Callable = int


def _bpm(scale: int) -> tuple[Callable, Callable]:
    return (lambda stored: stored / scale), (lambda bpm: round(bpm * scale))


_HEADER = {
    "version": _Slot(0x08, ">B"),
    "tempo_mode": _Slot(
        0x11,
        ">B",
        lambda stored: {0: "bank", 1: "project"}.get(stored, f"unknown ({stored})"),
        lambda mode: {"bank": 0, "project": 1}[mode],
    ),
    "project_bpm": _Slot(0x12, ">H", *_bpm(100)),
}
_BANK_BPM = [_Slot(0x40 + 4 * bank, ">I", *_bpm(200)) for bank in range(len(BANKS))]
_BANK_VOLUME = [
    _Slot(
        0x6C + 2 * _VOLUME_SLOTS.index(bank),
        ">H",
        lambda v: MAX_PAD_VOLUME - v,
        lambda v: MAX_PAD_VOLUME - _volume(v),
    )
    for bank in range(len(BANKS))
]
_NAME = slice(0x80, 0x80 + PROJECT_NAME_LENGTH)


def _decode_header(header: bytes) -> dict:
    def value(slot: _Slot):
        return slot.decode(struct.unpack_from(slot.format, header, slot.offset)[0])

    decoded = {name: value(slot) for name, slot in _HEADER.items()}
    decoded["bank_bpm"] = [value(slot) for slot in _BANK_BPM]
    decoded["bank_volume"] = [value(slot) for slot in _BANK_VOLUME]
    decoded["name"] = _text(header[_NAME]) if len(header) == HEADER_SIZE else ""
    return decoded


def _encode_header(project: Project) -> bytes:
    header = bytearray(project.raw if project.raw is not None else NEW_HEADER)
    if project.raw is None:
        header[_NAME] = bytes(PROJECT_NAME_LENGTH)
    was = _decode_header(bytes(header))
    for name, slot in _HEADER.items():
        if getattr(project, name) != was[name]:
            _put(header, slot, getattr(project, name), name)
    for values, slots, label in (
        (project.bank_bpm, _BANK_BPM, "bank_bpm"),
        (project.bank_volume, _BANK_VOLUME, "bank_volume"),
    ):
        if len(values) != len(BANKS):
            raise ProjectFormatError(f"{label} needs one value per bank, {len(BANKS)} in all.")
        for bank, (value, slot) in enumerate(zip(values, slots, strict=True)):
            if value != was[label][bank]:
                _put(header, slot, value, f"{label} of bank {BANKS[bank]}")
    if project.name != was["name"]:
        if len(header) != HEADER_SIZE:
            raise ProjectFormatError("The 31,488-byte form of PADCONF.BIN has no project name.")
        header[_NAME] = _padded(
            project.name, PROJECT_NAME_LENGTH, PROJECT_NAME_LENGTH, "project name"
        )
    return bytes(header)


def _put(buffer: bytearray, slot: _Slot, value, label: str) -> None:
    try:
        struct.pack_into(slot.format, buffer, slot.offset, slot.encode(value))
    except (struct.error, KeyError, TypeError, ValueError):
        raise ProjectFormatError(f"{label} cannot be {value!r}.") from None


# A pad word: its index in the record, the fields it holds, how to read and write them.
@dataclass(frozen=True)
class _Word:
    index: int
    names: tuple[str, ...]
    decode: Callable[[int], tuple]
    encode: Callable[..., int]


def _number(index: int, name: str, signed: bool = False) -> _Word:
    if signed:
        return _Word(index, (name,), lambda word: (_signed(word),), _from_signed)
    return _Word(index, (name,), lambda word: (word,), lambda value: value)


def _signed(word: int) -> int:
    return word - (1 << 32) if word & 0x8000_0000 else word


def _from_signed(value: int) -> int:
    if not -(1 << 31) <= value < 1 << 31:
        raise ValueError(value)
    return value & 0xFFFF_FFFF


def _volume(value: int) -> int:
    """A volume as the unit has them, 0-127."""
    if not 0 <= value <= MAX_PAD_VOLUME:
        raise ValueError(value)
    return value


def _flag(index: int, name: str, on: int = 1) -> _Word:
    return _Word(index, (name,), lambda word: (word != 0,), lambda value: on if value else 0)


def _scaled(index: int, name: str, scale: int) -> _Word:
    return _Word(index, (name,), lambda word: (word / scale,), lambda value: round(value * scale))


_PAD_WORDS = (
    _number(0, "size"),
    _number(1, "start"),
    _number(2, "end"),
    _Word(3, ("volume",), lambda word: (word,), _volume),
    _flag(4, "gate"),
    _flag(5, "loop", on=_LOOP_ON),
    _number(7, "mute_group"),
    _flag(8, "bpm_sync"),
    _scaled(9, "bpm", 100),
    _number(11, "loop_point"),
    _number(13, "pitch", signed=True),
    _number(14, "fine", signed=True),
    _Word(
        15,
        ("reverse", "ping_pong"),
        lambda word: (word == 1, word == 2),
        lambda reverse, ping_pong: 2 if ping_pong else 1 if reverse else 0,
    ),
    _scaled(16, "speed", 100),
    _flag(17, "vinyl"),
    _number(18, "pan"),
    _number(19, "link"),
    _number(20, "bus"),
    _number(22, "attack"),
    _number(23, "hold"),
    _number(24, "release"),
)
_NEW_PAD = _WORDS.pack(*EMPTY_PAD_WORDS) + EMPTY_NAME + EMPTY_CHOPS


def _decode_pad(raw: bytes) -> Pad:
    words = _WORDS.unpack_from(raw)
    values = {}
    for word in _PAD_WORDS:
        values.update(zip(word.names, word.decode(words[word.index]), strict=True))
    name = raw[PAD_RECORD_SIZE : PAD_RECORD_SIZE + NAME_SIZE]
    values["name"] = "" if name.strip(b" \0") == b"" else _text(name)
    chops = raw[PAD_RECORD_SIZE + NAME_SIZE :]
    marks = struct.unpack_from(">16I", chops) if chops else ()
    values["marks"] = [mark for mark in marks if mark != NO_MARK]
    return Pad(raw=raw, **values)


def _encode_pad(pad: Pad, short: bool) -> bytes:
    base = pad.raw if pad.raw is not None else _NEW_PAD[: len(_NEW_PAD) - short * CHOP_SIZE]
    was = _decode_pad(base)
    words = list(_WORDS.unpack_from(base))
    for word in _PAD_WORDS:
        now = [getattr(pad, name) for name in word.names]
        if now != [getattr(was, name) for name in word.names]:
            words[word.index] = _stored(word, now)
    name = base[PAD_RECORD_SIZE : PAD_RECORD_SIZE + NAME_SIZE]
    if pad.name != was.name:
        name = _padded(pad.name, PAD_NAME_LENGTH, NAME_SIZE, "pad name") if pad.name else EMPTY_NAME
    chops = base[PAD_RECORD_SIZE + NAME_SIZE :]
    if pad.marks != was.marks:
        if short:
            raise ProjectFormatError("The 31,488-byte form of PADCONF.BIN has no chop marks.")
        chops = _marks(pad.marks) + chops[4 * MAX_MARKS :]
    return _WORDS.pack(*words) + name + chops


def _stored(word: _Word, values: list) -> int:
    """The 32-bit word that holds values, refused when they do not fit."""
    try:
        stored = operator.index(word.encode(*values))  # numpy integers are welcome too
    except (TypeError, ValueError, OverflowError):
        stored = None
    if stored is None or not 0 <= stored <= 0xFFFF_FFFF:
        shown = ", ".join(
            f"{name} {value!r}" for name, value in zip(word.names, values, strict=True)
        )
        raise ProjectFormatError(f"A pad cannot hold {shown}.")
    return stored


def _marks(marks: Sequence[int]) -> bytes:
    if len(marks) > MAX_MARKS:
        raise ProjectFormatError(f"A pad holds at most {MAX_MARKS} chop marks, not {len(marks)}.")
    try:
        frames = [operator.index(mark) for mark in marks]
    except TypeError:
        frames = [-1]
    if any(not 0 <= frame < NO_MARK for frame in frames):
        raise ProjectFormatError(f"Chop marks are frame positions, not {list(marks)!r}.")
    return struct.pack(">16I", *frames, *[NO_MARK] * (MAX_MARKS - len(frames)))


def _text(stored: bytes) -> str:
    """A NUL-padded ASCII field as text; bytes outside ASCII read as '?'."""
    return stored.split(b"\0", 1)[0].decode("ascii", errors="replace").replace("\ufffd", "?")


def _padded(text: str, max_length: int, size: int, label: str) -> bytes:
    """text as ASCII of at most max_length characters, NUL-padded to size bytes."""
    try:
        encoded = text.encode("ascii")
    except (AttributeError, UnicodeEncodeError):
        raise ProjectFormatError(f"The {label} {text!r} is not plain ASCII text.") from None
    if b"\0" in encoded:
        raise ProjectFormatError(f"The {label} {text!r} holds a NUL character.")
    if len(encoded) > max_length:
        raise ProjectFormatError(f"The {label} {text!r} is longer than {max_length} characters.")
    return encoded.ljust(size, b"\0")


# --- SMPL/*.SMP ----------------------------------------------------------------


@dataclass(frozen=True)
class SmpHeader:
    sample_rate: int
    channels: int
    bits: int
    size: int  # the whole file, as its header says (stored minus 8)
    # The 512 bytes read, unexplained ones included, for writing the file again.
    raw: bytes = field(default=b"", repr=False, compare=False)


def smp_header(frames: int, channels: int) -> bytes:
    """The 512 bytes before the audio of a .SMP of frames 16-bit frames at 48 kHz.

    RFWV, the file's size minus 8, then sample rate, channels and bits as 32-bit
    words (the study gives their values, not their widths: words are this
    format's unit everywhere else), zeros to 0x20, and zeros in bytes
    0x20-0x1FF. Real files fill those 480 bytes with what looks random, and
    nobody knows what it means or whether the unit checks it: no value could be
    copied that would be right for other audio, and zeros claim nothing.
    """
    if channels not in (1, 2):
        raise ProjectFormatError(f"An .SMP holds 1 or 2 channels, not {channels}.")
    size = SMP_HEADER_SIZE + frames * 2 * channels
    if size - 8 > 0xFFFF_FFFF:
        raise ProjectFormatError("The audio is too long for an .SMP file.")
    start = b"RFWV" + struct.pack(">4I", size - 8, SMP_SAMPLE_RATE, channels, SMP_BITS)
    return start.ljust(SMP_HEADER_SIZE, b"\0")


def read_smp_header(data: bytes) -> SmpHeader:
    """The format of an .SMP from its first 512 bytes."""
    if len(data) < SMP_HEADER_SIZE or data[:4] != b"RFWV":
        raise ProjectFormatError("This is not an .SMP file: it does not start with RFWV.")
    size, rate, channels, bits = struct.unpack_from(">4I", data, 4)
    if channels not in (1, 2):
        # Read as 16-bit channels and bits, in case that is how a real file has them.
        channels, bits = struct.unpack_from(">2H", data, 12)
    if channels not in (1, 2) or bits != SMP_BITS:
        raise ProjectFormatError(
            f"This .SMP says {channels} channels of {bits} bits; expected 1 or 2 of 16."
        )
    return SmpHeader(rate, channels, bits, size + 8, raw=bytes(data[:SMP_HEADER_SIZE]))


def write_smp(
    output: BinaryIO,
    blocks: Iterable[np.ndarray],
    frames: int,
    channels: int,
    like: SmpHeader | None = None,
) -> int:
    """Write a .SMP of int16 blocks (frames x channels) that add up to frames; returns its size.

    With like (a header read from a file), its 512 bytes are written again, the
    size word changed only if the audio's length differs: an .SMP read and
    written back is identical.
    """
    output.write(
        smp_header(frames, channels) if like is None else _header_like(like, frames, channels)
    )
    written = 0
    for block in blocks:
        block = np.asarray(block, dtype=np.int16).reshape(-1, channels)
        output.write(block.astype(">i2").tobytes())
        written += len(block)
    if written != frames:
        raise ProjectFormatError(f"The audio had {written} frames, not the {frames} announced.")
    return SMP_HEADER_SIZE + frames * 2 * channels


def _header_like(like: SmpHeader, frames: int, channels: int) -> bytes:
    if channels != like.channels:
        raise ProjectFormatError(f"This .SMP holds {like.channels} channels, not {channels}.")
    header = bytearray(like.raw)
    size = SMP_HEADER_SIZE + frames * 2 * channels
    if size != like.size:
        struct.pack_into(">I", header, 4, size - 8)
    return bytes(header)


def read_smp(data: bytes) -> tuple[SmpHeader, np.ndarray]:
    """An .SMP's header and its audio as int16 frames x channels."""
    header = read_smp_header(data)
    if (len(data) - SMP_HEADER_SIZE) % (2 * header.channels):
        raise ProjectFormatError("The .SMP's audio ends in the middle of a frame.")
    audio = np.frombuffer(data, dtype=">i2", offset=SMP_HEADER_SIZE)
    return header, audio.astype(np.int16).reshape(-1, header.channels)


# --- a project as JSON ------------------------------------------------------------


def pad_summary(pad: Pad, bank: str, number: int, channels: int) -> dict:
    """A non-empty pad as inspect_sp404_project prints it (a stable interface)."""
    return {
        "bank": bank,
        "pad": number,
        "name": pad.name,
        "size": pad.size,
        "start_frame": pad.frame(pad.start, channels),
        "end_frame": pad.frame(pad.end, channels),
        "loop_frame": pad.frame(pad.loop_point, channels),
        "volume": pad.volume,
        "gate": pad.gate,
        "loop": pad.loop,
        "reverse": pad.reverse,
        "pitch": pad.pitch,
        "fine": pad.fine,
        "bpm": pad.bpm,
        "bpm_sync": pad.bpm_sync,
        "pan": pad.pan,
        "bus": pad.bus,
        "marks": list(pad.marks),
    }


def project_summary(project: Project) -> dict:
    """The project's header as inspect_sp404_project prints it (a stable interface)."""
    return {
        "name": project.name,
        "tempo_mode": project.tempo_mode,
        "project_bpm": project.project_bpm,
        "bank_bpm": list(project.bank_bpm),
    }


def filled_pads(project: Project) -> Iterable[tuple[str, int, Pad]]:
    for index, pad in enumerate(project.pads):
        if not pad.is_empty:
            yield (*pad_of(index), pad)

"""PADCONF.BIN and .SMP bytes against the layout in SP404MK2.md ("Project layout").

The fixtures here are built with struct from the offsets the document gives,
never with the module's own writer or constants, so a misplaced offset in the
module shows up as a wrong value rather than agreeing with itself.
"""

import io
import json
import struct

import numpy as np
import pytest

from exports.sp404_project import (
    Pad,
    Project,
    ProjectFormatError,
    pad_summary,
    project_summary,
    read_padconf,
    read_smp,
    read_smp_header,
    smp_name,
    write_padconf,
    write_smp,
)

# --- the layout, copied from SP404MK2.md ---------------------------------------

FILE_SIZE = 52_000
SHORT_FILE_SIZE = 31_488
PAD_COUNT = 160
RECORD_SIZE = 172
RECORDS_AT = 0xA0
NAMES_AT = 0x6C20
NAME_SIZE = 24
CHOPS_AT = 0x7B20
CHOP_SIZE = 128
SHORT_RECORDS_AT = 0x80  # the 31,488-byte form: 128 bytes of header, no chop block
SHORT_NAMES_AT = SHORT_RECORDS_AT + PAD_COUNT * RECORD_SIZE
UNSET = 0xFFFF_FFFF
LOOP_ON = 0x7FFF_FFFF

# Byte offsets of the understood words inside a pad record.
SIZE, START, END, VOLUME, GATE, LOOP = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14
MUTE_GROUP, BPM_SYNC, BPM, MODE_FLAGS, LOOP_POINT = 0x1C, 0x20, 0x24, 0x28, 0x2C
PITCH, FINE, PLAYBACK, SPEED, VINYL = 0x34, 0x38, 0x3C, 0x40, 0x44
PAN, LINK, BUS, ATTACK, HOLD, RELEASE = 0x48, 0x4C, 0x50, 0x58, 0x5C, 0x60

DOC_EMPTY_PAD_WORDS = (
    (0, 0, 0, 127, 1, 0, 1, 0, 0, 9000, 0, 0, 0, 0, 0, 0, 10000, 1, 64, 0, 1, 2, 0, 100)
    + (0,) * 19
)  # fmt: skip
DOC_NEW_HEADER_HEX = (
    "52465044000000a00300000000007a80000023280000000000000000000000400000004000"
    "00004000000000000000200000002000000020000000200000002000004650000046500000"
    "46500000465000004650000046500000465000004650000046500000465000000000000000"
    "000000000000000000000000000000000050524f4a4543545f313600000000000000000000"
    "000000000000000000000000"
)

# What an empty pad's documented words mean.
EMPTY_PAD = {
    "size": 0, "start": 0, "end": 0, "volume": 127, "gate": True, "loop": False,
    "mute_group": 0, "bpm_sync": False, "bpm": 90.0, "loop_point": 0, "pitch": 0, "fine": 0,
    "reverse": False, "ping_pong": False, "speed": 100.0, "vinyl": True, "pan": 64, "link": 0,
    "bus": 1, "attack": 0, "hold": 100, "release": 0, "name": "", "marks": [],
}  # fmt: skip

C7, A1, J16 = 2 * 16 + 6, 0, 9 * 16 + 15  # pad index = bank x 16 + (pad - 1)

BANK_BPM = [80.0, 85.5, 90.0, 95.25, 100.0, 110.5, 120.0, 130.0, 140.75, 174.0]  # A-J
BANK_VOLUME = {"A": 127, "B": 100, "C": 90, "D": 80, "E": 70, "F": 60, "G": 50, "H": 40,
               "I": 30, "J": 0}  # fmt: skip
VOLUME_ORDER = "BADCFEHGJI"  # the order the ten 16-bit bank volumes are stored in

# Three filled pads: the words at their documented offsets, and what they mean.
FILLED = {
    C7: {  # stereo, 48,000 frames
        "words": {
            SIZE: 512 + 48_000 * 4, START: 512 + 1_000 * 4, END: 512 + 40_000 * 4,
            VOLUME: 100, GATE: 0, LOOP: LOOP_ON, MUTE_GROUP: 3, BPM_SYNC: 1, BPM: 12_050,
            MODE_FLAGS: 0x20, LOOP_POINT: 512 + 2_000 * 4, PITCH: -5, FINE: -20,
            PLAYBACK: 1, SPEED: 7_550, VINYL: 0, PAN: 20, LINK: 2, BUS: 2,
            ATTACK: 10, HOLD: 80, RELEASE: 30,
        },
        "name": b"LOOP DRUMS",
        "marks": [0, 1_000, 24_000],
        "pad": {
            "size": 192_512, "start": 4_512, "end": 160_512, "volume": 100, "gate": False,
            "loop": True, "mute_group": 3, "bpm_sync": True, "bpm": 120.5, "loop_point": 8_512,
            "pitch": -5, "fine": -20, "reverse": True, "ping_pong": False, "speed": 75.5,
            "vinyl": False, "pan": 20, "link": 2, "bus": 2, "attack": 10, "hold": 80,
            "release": 30, "name": "LOOP DRUMS", "marks": [0, 1_000, 24_000],
        },
    },
    A1: {  # mono, 4,800 frames
        "words": {
            SIZE: 512 + 4_800 * 2, START: 512, END: 512 + 4_800 * 2, VOLUME: 0,
            LOOP_POINT: 512, PITCH: 12, FINE: 50, PLAYBACK: 2, SPEED: 20_000, PAN: 127,
            BUS: 0,
        },
        "name": b"KICK",
        "marks": [],
        "pad": {
            **EMPTY_PAD, "size": 10_112, "start": 512, "end": 10_112, "volume": 0,
            "loop_point": 512, "pitch": 12, "fine": 50, "ping_pong": True, "speed": 200.0,
            "pan": 127, "bus": 0, "name": "KICK",
        },
    },
    J16: {  # stereo, 96,000 frames
        "words": {
            SIZE: 512 + 96_000 * 4, START: 512, END: 512 + 96_000 * 4, LOOP: LOOP_ON,
            MUTE_GROUP: 8, BPM_SYNC: 1, BPM: 17_400, LOOP_POINT: 512 + 48_000 * 4,
            PITCH: -12, FINE: -50, ATTACK: 127, HOLD: 0, RELEASE: 127,
        },
        "name": b"TWENTY THREE CHARACTERS",
        "marks": [frame * 6_000 for frame in range(16)],
        "pad": {
            **EMPTY_PAD, "size": 384_512, "start": 512, "end": 384_512, "loop": True,
            "mute_group": 8, "bpm_sync": True, "bpm": 174.0, "loop_point": 192_512,
            "pitch": -12, "fine": -50, "attack": 127, "hold": 0, "release": 127,
            "name": "TWENTY THREE CHARACTERS", "marks": [frame * 6_000 for frame in range(16)],
        },
    },
}  # fmt: skip


def put(buffer, offset, data):
    buffer[offset : offset + len(data)] = data


def put_word(buffer, offset, value):
    struct.pack_into(">i" if value < 0 else ">I", buffer, offset, value)


def fill_pads(buffer, records_at, names_at, chops_at=None):
    """Every pad as the document's empty pad, then the FILLED pads over them."""
    for index in range(PAD_COUNT):
        struct.pack_into(">43I", buffer, records_at + index * RECORD_SIZE, *DOC_EMPTY_PAD_WORDS)
        put(buffer, names_at + index * NAME_SIZE, b" " * NAME_SIZE)
        if chops_at is not None:
            put(buffer, chops_at + index * CHOP_SIZE, struct.pack(">16I", *[UNSET] * 16))
            put(buffer, chops_at + index * CHOP_SIZE + 64, bytes(64))
    for index, filled in FILLED.items():
        for offset, value in filled["words"].items():
            put_word(buffer, records_at + index * RECORD_SIZE + offset, value)
        put(buffer, names_at + index * NAME_SIZE, filled["name"].ljust(NAME_SIZE, b"\0"))
        if chops_at is not None:
            for number, mark in enumerate(filled["marks"]):
                put_word(buffer, chops_at + index * CHOP_SIZE + 4 * number, mark)


def build_header(buffer, *, version, tempo_mode, project_bpm_x100):
    buffer[0x00:0x04] = b"RFPD"
    struct.pack_into(">I", buffer, 0x04, 160)
    buffer[0x08] = version
    struct.pack_into(">I", buffer, 0x0C, 0x7A80)
    buffer[0x11] = tempo_mode
    struct.pack_into(">H", buffer, 0x12, project_bpm_x100)
    buffer[0x14:0x40] = bytes(range(0x14, 0x40))  # not understood: must survive as is
    struct.pack_into(">10I", buffer, 0x40, *[round(bpm * 200) for bpm in BANK_BPM])
    buffer[0x68:0x6C] = b"\xde\xad\xbe\xef"  # not understood either
    struct.pack_into(">10H", buffer, 0x6C, *[127 - BANK_VOLUME[bank] for bank in VOLUME_ORDER])


@pytest.fixture
def documented_file():
    """A 52,000-byte PADCONF.BIN written by hand from the documented offsets."""
    buffer = bytearray(FILE_SIZE)
    build_header(buffer, version=3, tempo_mode=1, project_bpm_x100=12_345)
    buffer[0x80:0xA0] = b"MY BEAT TAPE".ljust(32, b"\0")
    fill_pads(buffer, RECORDS_AT, NAMES_AT, CHOPS_AT)
    return bytes(buffer)


@pytest.fixture
def short_documented_file():
    """The 31,488-byte form: version 2, 128 bytes of header, pads from 0x80, no chops."""
    buffer = bytearray(SHORT_FILE_SIZE)
    build_header(buffer, version=2, tempo_mode=0, project_bpm_x100=9_000)
    fill_pads(buffer, SHORT_RECORDS_AT, SHORT_NAMES_AT)
    return bytes(buffer)


def word_at(data, index, offset, records_at=RECORDS_AT):
    return struct.unpack_from(">I", data, records_at + index * RECORD_SIZE + offset)[0]


def changed_bytes(before, after):
    assert len(before) == len(after)
    return [
        position
        for position, (old, new) in enumerate(zip(before, after, strict=True))
        if old != new
    ]


def pad_values(pad):
    return {name: getattr(pad, name) for name in EMPTY_PAD}


# --- reading a file built from the document ---------------------------------------


def test_a_file_built_from_the_documented_offsets_decodes_to_its_header_values(documented_file):
    project = read_padconf(documented_file)

    assert project.name == "MY BEAT TAPE"
    assert project.version == 3
    assert project.tempo_mode == "project"
    assert project.project_bpm == 123.45
    assert project.bank_bpm == BANK_BPM
    assert project.bank_volume == [BANK_VOLUME[bank] for bank in "ABCDEFGHIJ"]
    assert not project.is_short


def test_a_file_built_from_the_documented_offsets_decodes_to_its_pad_values(documented_file):
    project = read_padconf(documented_file)

    for index, filled in FILLED.items():
        assert pad_values(project.pads[index]) == filled["pad"], f"pad index {index}"
    assert project.pad("C", 7) is project.pads[C7]
    assert project.pad("C", 7).frame(project.pad("C", 7).start, 2) == 1_000
    assert project.pad("C", 7).frame(project.pad("C", 7).end, 2) == 40_000
    assert project.pad("A", 1).frame(project.pad("A", 1).end, 1) == 4_800


def test_every_other_pad_of_the_documented_file_reads_as_the_documented_empty_pad(
    documented_file,
):
    project = read_padconf(documented_file)

    empty = [index for index in range(PAD_COUNT) if index not in FILLED]
    assert len(empty) == 157
    for index in empty:
        assert pad_values(project.pads[index]) == EMPTY_PAD, f"pad index {index}"
        assert project.pads[index].is_empty


def test_the_documented_file_is_written_back_byte_for_byte(documented_file):
    assert write_padconf(read_padconf(documented_file)) == documented_file


# --- a new project -------------------------------------------------------------------


def test_a_new_project_header_is_the_documented_new_project_header():
    data = write_padconf(Project(name="PROJECT_16"))

    assert len(data) == FILE_SIZE
    assert data[:0xA0] == bytes.fromhex(DOC_NEW_HEADER_HEX)


def test_a_new_project_header_carries_its_own_name_nul_padded():
    data = write_padconf(Project(name="DEMO"))

    assert data[0x80:0xA0] == b"DEMO" + bytes(28)
    assert data[:0x80] == bytes.fromhex(DOC_NEW_HEADER_HEX)[:0x80]


def test_every_pad_of_a_new_project_is_the_documented_empty_pad():
    data = write_padconf(Project(name="PROJECT_16"))

    empty_chops = struct.pack(">16I", *[UNSET] * 16) + bytes(64)
    for index in range(PAD_COUNT):
        record = data[RECORDS_AT + index * RECORD_SIZE :][:RECORD_SIZE]
        assert struct.unpack(">43I", record) == DOC_EMPTY_PAD_WORDS, f"pad index {index}"
        assert data[NAMES_AT + index * NAME_SIZE :][:NAME_SIZE] == b" " * 24
        assert data[CHOPS_AT + index * CHOP_SIZE :][:CHOP_SIZE] == empty_chops


def test_a_new_project_reads_back_with_the_documented_defaults():
    project = read_padconf(write_padconf(Project(name="PROJECT_16")))

    assert project.name == "PROJECT_16"
    assert project.version == 3
    assert project.tempo_mode == "bank"
    assert project.project_bpm == 90.0
    assert project.bank_bpm == [90.0] * 10
    assert project.bank_volume == [127] * 10
    assert all(pad_values(pad) == EMPTY_PAD for pad in project.pads)


# --- byte identity --------------------------------------------------------------------


@pytest.mark.parametrize("size", [FILE_SIZE, SHORT_FILE_SIZE])
def test_random_bytes_after_the_magic_are_written_back_identically(size):
    data = b"RFPD" + np.random.default_rng(404).bytes(size - 4)

    assert write_padconf(read_padconf(data)) == data


@pytest.mark.parametrize(
    ("size", "records_at"), [(FILE_SIZE, RECORDS_AT), (SHORT_FILE_SIZE, SHORT_RECORDS_AT)]
)
def test_changing_one_pad_volume_in_random_bytes_changes_only_that_word(size, records_at):
    data = b"RFPD" + np.random.default_rng(405).bytes(size - 4)
    project = read_padconf(data)
    pad = project.pads[77]
    pad.volume = 7 if pad.volume != 7 else 8

    written = write_padconf(project)

    where = records_at + 77 * RECORD_SIZE + VOLUME
    assert changed_bytes(data, written)
    assert set(changed_bytes(data, written)) <= set(range(where, where + 4))
    assert word_at(written, 77, VOLUME, records_at) == pad.volume


def test_changing_the_marks_in_random_bytes_keeps_the_rest_of_that_chop_block():
    data = b"RFPD" + np.random.default_rng(406).bytes(FILE_SIZE - 4)
    project = read_padconf(data)
    project.pads[77].marks = [0, 480]

    written = write_padconf(project)

    block = CHOPS_AT + 77 * CHOP_SIZE
    assert set(changed_bytes(data, written)) <= set(range(block, block + 64))
    assert written[block : block + 64] == struct.pack(">16I", 0, 480, *[UNSET] * 14)


@pytest.mark.parametrize(
    ("change", "first", "length"),
    [
        (lambda project: setattr(project, "tempo_mode", "bank"), 0x11, 1),
        (lambda project: setattr(project, "project_bpm", 140.0), 0x12, 2),
        (lambda project: project.bank_bpm.__setitem__(9, 99.0), 0x40 + 9 * 4, 4),
        (lambda project: project.bank_volume.__setitem__(0, 1), 0x6C + 2, 2),  # A, 2nd slot
        (lambda project: project.bank_volume.__setitem__(2, 1), 0x6C + 6, 2),  # C, 4th slot
        (lambda project: project.bank_volume.__setitem__(9, 1), 0x6C + 16, 2),  # J, 9th slot
        (lambda project: setattr(project, "name", "OTHER"), 0x80, 32),
        (lambda project: setattr(project.pads[C7], "pitch", 3), RECORDS_AT + C7 * 172 + PITCH, 4),
        (lambda project: setattr(project.pads[C7], "name", "X"), NAMES_AT + C7 * 24, 24),
        (lambda project: setattr(project.pads[C7], "marks", [5]), CHOPS_AT + C7 * 128, 64),
    ],
    ids=[
        "tempo mode",
        "project bpm",
        "bank J bpm",
        "bank A volume",
        "bank C volume",
        "bank J volume",
        "project name",
        "C7 pitch",
        "C7 name",
        "C7 marks",
    ],
)
def test_an_edit_to_a_read_file_changes_only_the_bytes_of_that_field(
    documented_file, change, first, length
):
    project = read_padconf(documented_file)
    change(project)

    written = write_padconf(project)

    assert changed_bytes(documented_file, written)
    assert set(changed_bytes(documented_file, written)) <= set(range(first, first + length))


# --- write then read, field by field -------------------------------------------------

BASES = ["new project, pad E11", "documented file, pad C7", "documented file, pad A1"]


@pytest.fixture(params=BASES)
def base(request, documented_file):
    """The bytes a round trip starts from and the index of the pad it edits."""
    if request.param.startswith("new"):
        return write_padconf(Project()), 4 * 16 + 10
    return documented_file, C7 if request.param.endswith("C7") else A1


@pytest.mark.parametrize(
    ("values", "offset", "stored"),
    [
        ({"size": 0}, SIZE, 0),
        ({"size": UNSET}, SIZE, UNSET),
        ({"start": 512}, START, 512),
        ({"start": 512 + 2 * 48_000}, START, 96_512),
        ({"end": 2_000_000_000}, END, 2_000_000_000),
        ({"loop_point": 4_000}, LOOP_POINT, 4_000),
        ({"volume": 0}, VOLUME, 0),
        ({"volume": 127}, VOLUME, 127),
        ({"gate": True}, GATE, 1),
        ({"gate": False}, GATE, 0),
        ({"loop": True}, LOOP, LOOP_ON),
        ({"loop": False}, LOOP, 0),
        ({"mute_group": 0}, MUTE_GROUP, 0),
        ({"mute_group": 5}, MUTE_GROUP, 5),
        ({"bpm_sync": True}, BPM_SYNC, 1),
        ({"bpm_sync": False}, BPM_SYNC, 0),
        ({"bpm": 40.0}, BPM, 4_000),
        ({"bpm": 300.0}, BPM, 30_000),
        ({"bpm": 123.45}, BPM, 12_345),
        ({"pitch": -12}, PITCH, 0xFFFF_FFF4),
        ({"pitch": 12}, PITCH, 12),
        ({"pitch": -(2**31)}, PITCH, 0x8000_0000),
        ({"pitch": 2**31 - 1}, PITCH, 0x7FFF_FFFF),
        ({"fine": -50}, FINE, 2**32 - 50),
        ({"fine": 50}, FINE, 50),
        ({"fine": 0}, FINE, 0),
        ({"reverse": True, "ping_pong": False}, PLAYBACK, 1),
        ({"reverse": False, "ping_pong": True}, PLAYBACK, 2),
        ({"reverse": False, "ping_pong": False}, PLAYBACK, 0),
        ({"speed": 50.0}, SPEED, 5_000),
        ({"speed": 100.0}, SPEED, 10_000),
        ({"speed": 12.34}, SPEED, 1_234),
        ({"vinyl": True}, VINYL, 1),
        ({"vinyl": False}, VINYL, 0),
        ({"pan": 0}, PAN, 0),
        ({"pan": 64}, PAN, 0x40),
        ({"pan": 127}, PAN, 127),
        ({"link": 3}, LINK, 3),
        ({"bus": 0}, BUS, 0),
        ({"bus": 1}, BUS, 1),
        ({"bus": 2}, BUS, 2),
        ({"attack": 0}, ATTACK, 0),
        ({"attack": 127}, ATTACK, 127),
        ({"hold": 0}, HOLD, 0),
        ({"hold": 100}, HOLD, 100),
        ({"release": 127}, RELEASE, 127),
    ],
    ids=lambda value: repr(value) if isinstance(value, dict) else None,
)
def test_a_pad_field_is_stored_in_its_documented_word_and_reads_back(base, values, offset, stored):
    data, index = base
    project = read_padconf(data)
    for name, value in values.items():
        setattr(project.pads[index], name, value)

    written = write_padconf(project)

    where = RECORDS_AT + index * RECORD_SIZE + offset
    assert set(changed_bytes(data, written)) <= set(range(where, where + 4))
    assert word_at(written, index, offset) == stored
    pad = read_padconf(written).pads[index]
    assert {name: getattr(pad, name) for name in values} == values


@pytest.mark.parametrize(
    "marks",
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, UNSET - 1],
        [0],
        [48_000, 96_000, 7_000_000],
        [],
    ],
    ids=["sixteen", "one at frame 0", "three", "none"],
)
def test_chop_marks_are_stored_as_frames_with_unset_slots_and_read_back(base, marks):
    data, index = base
    project = read_padconf(data)
    project.pads[index].marks = list(marks)

    written = write_padconf(project)

    unset = [UNSET] * (16 - len(marks))
    block = written[CHOPS_AT + index * CHOP_SIZE :][:CHOP_SIZE]
    assert block == struct.pack(">16I", *marks, *unset) + bytes(64)
    assert read_padconf(written).pads[index].marks == marks


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("A" * 23, b"A" * 23 + b"\0"),
        ("SNARE 2", b"SNARE 2".ljust(24, b"\0")),
        ("", b" " * 24),
    ],
    ids=["23 characters", "short", "cleared"],
)
def test_a_pad_name_is_stored_nul_padded_and_reads_back(base, name, stored):
    data, index = base
    project = read_padconf(data)
    project.pads[index].name = name

    written = write_padconf(project)

    assert written[NAMES_AT + index * NAME_SIZE :][:NAME_SIZE] == stored
    assert read_padconf(written).pads[index].name == name


@pytest.mark.parametrize("start", ["new project", "documented file"])
@pytest.mark.parametrize(
    ("name", "stored"),
    [("B" * 32, b"B" * 32), ("BEATS 2024", b"BEATS 2024".ljust(32, b"\0")), ("", bytes(32))],
    ids=["32 characters", "short", "cleared"],
)
def test_a_project_name_is_stored_nul_padded_and_reads_back(documented_file, start, name, stored):
    data = write_padconf(Project(name="PROJECT_16")) if start == "new project" else documented_file
    project = read_padconf(data)
    project.name = name

    written = write_padconf(project)

    assert written[0x80:0xA0] == stored
    assert read_padconf(written).name == name


@pytest.mark.parametrize("start", ["new project", "documented file"])
@pytest.mark.parametrize(("mode", "stored"), [("bank", 0), ("project", 1)])
@pytest.mark.parametrize("bpm", [40.0, 300.0, 123.45])
def test_the_tempo_mode_and_project_bpm_are_stored_where_documented_and_read_back(
    documented_file, start, mode, stored, bpm
):
    data = write_padconf(Project()) if start == "new project" else documented_file
    project = read_padconf(data)
    project.tempo_mode = mode
    project.project_bpm = bpm

    written = write_padconf(project)

    assert written[0x11] == stored
    assert struct.unpack_from(">H", written, 0x12)[0] == round(bpm * 100)
    reread = read_padconf(written)
    assert (reread.tempo_mode, reread.project_bpm) == (mode, bpm)


@pytest.mark.parametrize("start", ["new project", "documented file"])
@pytest.mark.parametrize("bank", "ABCDEFGHIJ")
@pytest.mark.parametrize(("bpm", "volume"), [(40.0, 0), (300.0, 127), (123.45, 64)])
def test_a_bank_bpm_and_volume_are_stored_where_documented_and_read_back(
    documented_file, start, bank, bpm, volume
):
    data = write_padconf(Project()) if start == "new project" else documented_file
    project = read_padconf(data)
    position = "ABCDEFGHIJ".index(bank)
    project.bank_bpm[position] = bpm
    project.bank_volume[position] = volume

    written = write_padconf(project)

    assert struct.unpack_from(">I", written, 0x40 + 4 * position)[0] == round(bpm * 200)
    slot = VOLUME_ORDER.index(bank)
    assert struct.unpack_from(">H", written, 0x6C + 2 * slot)[0] == 127 - volume
    reread = read_padconf(written)
    assert (reread.bank_bpm[position], reread.bank_volume[position]) == (bpm, volume)
    before = read_padconf(data)
    for other in (number for number in range(10) if number != position):
        assert reread.bank_bpm[other] == before.bank_bpm[other]
        assert reread.bank_volume[other] == before.bank_volume[other]


def set_pad(field_name, value):
    return lambda project: setattr(project.pads[C7], field_name, value)


def set_project(field_name, value):
    return lambda project: setattr(project, field_name, value)


@pytest.mark.parametrize(
    "change",
    [
        set_pad("name", "X" * 24),
        set_pad("name", "Café"),
        set_pad("name", "A\0B"),
        set_pad("marks", list(range(17))),
        set_pad("marks", [-1]),
        set_pad("marks", [UNSET]),
        set_pad("size", -1),
        set_pad("size", 2**32),
        set_pad("pitch", 2**31),
        set_pad("pitch", -(2**31) - 1),
        set_project("name", "P" * 33),
        set_project("name", "Ñame"),
        set_project("tempo_mode", "other"),
        set_project("project_bpm", 700.0),
        set_project("bank_bpm", [90.0] * 9),
        set_project("bank_volume", [127] * 9),
        set_project("bank_volume", [128] + [127] * 9),
        set_project("bank_volume", [-1] + [127] * 9),
        set_pad("volume", 128),
        set_pad("volume", -1),
        set_pad("bpm", "fast"),
    ],
    ids=[
        "pad name of 24",
        "non-ASCII pad name",
        "NUL in pad name",
        "17 marks",
        "negative mark",
        "mark 0xFFFFFFFF",
        "negative size",
        "size over 32 bits",
        "pitch over int32",
        "pitch under int32",
        "project name of 33",
        "non-ASCII project name",
        "tempo mode other",
        "project bpm over 16 bits",
        "9 bank bpms",
        "9 bank volumes",
        "bank volume 128",
        "bank volume -1",
        "pad volume 128",
        "pad volume -1",
        "bpm not a number",
    ],
)
@pytest.mark.parametrize("start", ["new project", "documented file"])
def test_a_value_the_file_cannot_hold_is_refused(documented_file, start, change):
    data = write_padconf(Project()) if start == "new project" else documented_file
    project = read_padconf(data)
    change(project)

    with pytest.raises(ProjectFormatError):
        write_padconf(project)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"RFPD" + bytes(FILE_SIZE - 5),
        b"RFPD" + bytes(FILE_SIZE - 3),
        b"RFPD" + bytes(SHORT_FILE_SIZE - 5),
        b"RFWV" + bytes(FILE_SIZE - 4),
        bytes(SHORT_FILE_SIZE),
    ],
    ids=[
        "empty",
        "one byte short",
        "one byte long",
        "short form minus one",
        "SMP magic",
        "no magic, short size",
    ],
)
def test_bytes_of_the_wrong_size_or_magic_are_not_read(data):
    with pytest.raises(ProjectFormatError):
        read_padconf(data)


# --- the 31,488-byte variant ----------------------------------------------------------


def test_the_short_form_reads_its_header_and_pads_from_0x80(short_documented_file):
    project = read_padconf(short_documented_file)

    assert project.is_short
    assert project.version == 2
    assert project.name == ""
    assert project.tempo_mode == "bank"
    assert project.project_bpm == 90.0
    assert project.bank_bpm == BANK_BPM
    assert project.bank_volume == [BANK_VOLUME[bank] for bank in "ABCDEFGHIJ"]
    for index, filled in FILLED.items():
        assert pad_values(project.pads[index]) == {**filled["pad"], "marks": []}
    assert pad_values(project.pads[100]) == EMPTY_PAD


def test_the_short_form_is_written_back_byte_for_byte(short_documented_file):
    assert write_padconf(read_padconf(short_documented_file)) == short_documented_file


def test_an_edit_to_the_short_form_keeps_its_size_and_changes_only_that_word(
    short_documented_file,
):
    project = read_padconf(short_documented_file)
    project.pads[C7].volume = 1
    project.pads[J16].name = "RENAMED"

    written = write_padconf(project)

    volume_at = SHORT_RECORDS_AT + C7 * RECORD_SIZE + VOLUME
    name_at = SHORT_NAMES_AT + J16 * NAME_SIZE
    assert len(written) == SHORT_FILE_SIZE
    assert set(changed_bytes(short_documented_file, written)) <= set(
        range(volume_at, volume_at + 4)
    ) | set(range(name_at, name_at + NAME_SIZE))
    assert word_at(written, C7, VOLUME, SHORT_RECORDS_AT) == 1
    assert written[name_at : name_at + NAME_SIZE] == b"RENAMED".ljust(24, b"\0")


@pytest.mark.parametrize(
    "change",
    [set_project("name", "NAMED"), set_pad("marks", [0, 100])],
    ids=["project name", "chop marks"],
)
def test_the_short_form_refuses_a_project_name_and_chop_marks(short_documented_file, change):
    project = read_padconf(short_documented_file)
    change(project)

    with pytest.raises(ProjectFormatError):
        write_padconf(project)


# --- SMPL/*.SMP --------------------------------------------------------------------------


def test_a_hand_made_stereo_smp_interleaves_big_endian_samples_after_512_bytes():
    output = io.BytesIO()
    write_smp(output, [np.array([[1, -2], [3, -4]], dtype=np.int16)], frames=2, channels=2)

    data = output.getvalue()
    assert data[:4] == b"RFWV"
    assert data[4:20] == bytes.fromhex("000002000000bb800000000200000010")
    assert data[20:512] == bytes(492)
    assert data[512:] == bytes.fromhex("0001fffe0003fffc")


@pytest.mark.parametrize("channels", [1, 2])
def test_write_smp_writes_the_documented_header_and_audio_in_blocks(channels):
    frames = 1_000
    audio = np.random.default_rng(channels).integers(
        -32_768, 32_768, size=(frames, channels), dtype=np.int16
    )
    audio[0], audio[-1] = -32_768, 32_767
    blocks = np.split(audio, [1, 300, 300, 999])  # one- and zero-frame blocks among them
    output = io.BytesIO()

    size = write_smp(output, iter(blocks), frames, channels)

    data = output.getvalue()
    assert size == len(data) == 512 + frames * 2 * channels
    assert data[:4] == b"RFWV"
    assert struct.unpack(">4I", data[4:20]) == (len(data) - 8, 48_000, channels, 16)
    assert data[20:512] == bytes(492)
    samples = audio.reshape(-1).tolist()  # frame by frame, left then right
    assert data[512:] == struct.pack(f">{len(samples)}h", *samples)


@pytest.mark.parametrize("channels", [1, 2])
def test_read_smp_gives_back_the_audio_sample_for_sample(channels):
    frames = 777
    audio = np.random.default_rng(10 + channels).integers(
        -32_768, 32_768, size=(frames, channels), dtype=np.int16
    )
    output = io.BytesIO()
    write_smp(output, np.array_split(audio, 5), frames, channels)

    header, decoded = read_smp(output.getvalue())

    assert (header.sample_rate, header.channels, header.bits) == (48_000, channels, 16)
    assert header.size == 512 + frames * 2 * channels
    assert decoded.dtype == np.int16
    assert decoded.shape == (frames, channels)
    assert np.array_equal(decoded, audio)


def test_read_smp_header_reads_a_documented_header_with_opaque_bytes():
    opaque = np.random.default_rng(3).bytes(480)
    data = b"RFWV" + struct.pack(">4I", 512 + 40 - 8, 48_000, 1, 16) + bytes(12) + opaque
    data += bytes(40)

    header = read_smp_header(data)

    assert (header.sample_rate, header.channels, header.bits, header.size) == (48_000, 1, 16, 552)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"RIFF" + struct.pack(">4I", 504, 48_000, 2, 16) + bytes(492),
        b"RFWV" + struct.pack(">4I", 504, 48_000, 2, 16),  # shorter than the 512-byte header
        b"RFWV" + struct.pack(">4I", 504, 48_000, 2, 24) + bytes(492),
    ],
    ids=["empty", "RIFF magic", "truncated header", "24 bits"],
)
def test_read_smp_header_refuses_what_is_not_a_16_bit_rfwv_file(data):
    with pytest.raises(ProjectFormatError):
        read_smp_header(data)


@pytest.mark.parametrize("announced", [99, 101])
def test_write_smp_refuses_audio_that_is_not_the_announced_length(announced):
    audio = np.zeros((100, 2), dtype=np.int16)

    with pytest.raises(ProjectFormatError):
        write_smp(io.BytesIO(), [audio], announced, 2)


def test_smp_files_are_named_by_bank_number_and_two_digit_pad():
    assert smp_name("A", 1) == "BANK1-01.SMP"
    assert smp_name("C", 7) == "BANK3-07.SMP"
    assert smp_name("J", 16) == "BANK10-16.SMP"


# --- summaries -------------------------------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 2])
def test_a_pad_pointed_at_whole_audio_summarises_from_frame_0_to_its_length(channels):
    pad = Pad()
    pad.set_audio(48_000, channels)

    summary = pad_summary(pad, "C", 7, channels)

    assert pad.size == 512 + 48_000 * 2 * channels
    assert (pad.start, pad.end, pad.loop_point) == (512, pad.size, 512)
    assert summary["start_frame"] == 0
    assert summary["end_frame"] == 48_000
    assert summary["loop_frame"] == 0
    assert (summary["bank"], summary["pad"], summary["size"]) == ("C", 7, pad.size)


def test_summaries_of_a_read_file_are_plain_json(documented_file):
    project = read_padconf(documented_file)

    summary = pad_summary(project.pads[C7], "C", 7, channels=2)
    header = project_summary(project)

    assert json.loads(json.dumps(summary)) == summary
    assert json.loads(json.dumps(header)) == header
    assert (summary["start_frame"], summary["end_frame"], summary["loop_frame"]) == (
        1_000,
        40_000,
        2_000,
    )
    for flag in ("gate", "loop", "reverse", "bpm_sync"):
        assert type(summary[flag]) is bool, flag
    assert (summary["gate"], summary["loop"], summary["reverse"]) == (False, True, True)
    assert summary["marks"] == [0, 1_000, 24_000]
    assert header == {
        "name": "MY BEAT TAPE",
        "tempo_mode": "project",
        "project_bpm": 123.45,
        "bank_bpm": BANK_BPM,
    }


def test_numpy_integers_are_stored_like_python_ones():
    project = Project()
    pad = project.pad("B", 3)
    pad.set_audio(np.int64(1000), 2)
    pad.volume, pad.marks = np.int16(90), list(np.array([0, 480, 960]))
    again = read_padconf(write_padconf(project)).pad("B", 3)
    assert (again.end, again.volume, again.marks) == (512 + 4000, 90, [0, 480, 960])


def test_read_smp_refuses_audio_that_ends_inside_a_frame():
    data = b"RFWV" + struct.pack(">4I", 512 + 3 - 8, 48_000, 1, 16) + bytes(492) + bytes(3)
    with pytest.raises(ProjectFormatError, match="middle of a frame"):
        read_smp(data)


def test_an_smp_read_and_written_back_is_identical_unexplained_bytes_included():
    rng = np.random.default_rng(7)
    audio = rng.integers(-32768, 32767, (300, 2), dtype=np.int16)
    data = (
        b"RFWV"
        + struct.pack(">4I", 512 + audio.size * 2 - 8, 48_000, 2, 16)
        + bytes(12)
        + rng.integers(0, 256, 480, dtype=np.uint8).tobytes()
        + audio.astype(">i2").tobytes()
    )
    header, read = read_smp(data)
    again = io.BytesIO()
    write_smp(again, [read], len(read), header.channels, like=header)
    assert again.getvalue() == data
    # Shorter audio changes the size word, and only that, in the header.
    shorter = io.BytesIO()
    write_smp(shorter, [read[:100]], 100, 2, like=header)
    assert shorter.getvalue()[:512] == data[:4] + struct.pack(">I", 512 + 400 - 8) + data[8:512]
    with pytest.raises(ProjectFormatError, match="2 channels"):
        write_smp(io.BytesIO(), [read[:, :1]], 300, 1, like=header)

"""Whether an audio file stops before its own end, judged from its container's structure.

Each format says where it ends: a WAV or AIFF header gives the size of its
audio chunk, an Ogg stream closes with an end-of-stream page, a FLAC header
gives the total samples and every FLAC frame carries a checksum, and every MP3
frame header gives the frame's length.  Decoders read a cut file without
complaint (or with a cryptic one), so these are checked here, reading only the
head and the tail of the file.
"""

import struct
import zlib
from pathlib import Path
from typing import BinaryIO

# Ogg (RFC 3533): a page is at most a 27-byte header, 255 lacing values and 255 * 255 bytes.
OGG_MAX_PAGE = 27 + 255 + 255 * 255
OGG_END_OF_STREAM = 0x04
# The Ogg checksum is CRC-32 with polynomial 0x04C11DB7 like zlib's, but not bit-reflected:
# zlib computes it on bit-reversed bytes, and the result is bit-reversed back.
BIT_REVERSED = bytes(int(f"{byte:08b}"[::-1], 2) for byte in range(256))
# FLAC (RFC 9639): the tail searched when STREAMINFO does not give the largest frame.
FLAC_UNKNOWN_FRAME = 1 << 20
ID3V1_SIZE = 128
# MPEG audio: four frames of the largest kind (Layer II, 384 kbit/s, 32 kHz) fit in this.
MP3_TAIL = 16 * 1024
MP3_BITRATES = {  # kbit/s by (is MPEG-1, layer code); index 0 (free format) is not followed.
    (True, 3): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 1): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 3): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 1): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
MP3_RATES = (44100, 48000, 32000)
MP3_RATE_DIVISORS = {3: 1, 2: 2, 0: 4}  # MPEG-1, MPEG-2, MPEG-2.5
# Sync, version, layer and sample rate: the header bits every frame of a stream shares.
MP3_STREAM_BITS = 0xFFFE0C00


def _crc_table(width: int, polynomial: int) -> tuple[int, ...]:
    top, mask = 1 << (width - 1), (1 << width) - 1
    table = []
    for byte in range(256):
        crc = byte << (width - 8)
        for _ in range(8):
            crc = ((crc << 1) ^ polynomial) if crc & top else crc << 1
        table.append(crc & mask)
    return tuple(table)


CRC8_TABLE = _crc_table(8, 0x07)
CRC16_TABLE = _crc_table(16, 0x8005)


def cut_short(path) -> bool:
    """True when the file's own structure shows that its end is missing."""
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as handle:
        start = _id3v2_size(handle.read(10))
        handle.seek(start)
        head = handle.read(12)
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            return _chunk_cut_short(handle, size, start, "<", b"data")
        if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            return _chunk_cut_short(handle, size, start, ">", b"SSND")
        if head[:4] == b"OggS":
            return _ogg_cut_short(handle, size)
        if head[:4] == b"fLaC":
            return _flac_cut_short(handle, size, start)
        if _mp3_frame(head[:4]) is not None:
            return _mp3_cut_short(handle, size, start)
        return False


def mp3_counts_its_frames(path) -> bool:
    """True when the first MP3 frame is a Xing, Info or VBRI header giving the frame count."""
    with Path(path).open("rb") as handle:
        handle.seek(_id3v2_size(handle.read(10)))
        frame = handle.read(64)
    if _mp3_frame(frame[:4]) is None:
        return False
    mpeg1, mono = (frame[1] >> 3) & 3 == 3, frame[3] >> 6 == 3
    side_info = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    tag, flags = frame[4 + side_info : 8 + side_info], frame[8 + side_info : 12 + side_info]
    if tag in (b"Xing", b"Info"):  # Their flags say whether the frame count is there.
        return len(flags) == 4 and bool(flags[3] & 1)
    return frame[36:40] == b"VBRI"


def _id3v2_size(head: bytes) -> int:
    """Bytes taken by an ID3v2 tag at the start, which MP3 and some FLAC files carry."""
    if len(head) < 10 or head[:3] != b"ID3":
        return 0
    size = 0
    for byte in head[6:10]:  # "Syncsafe": seven bits a byte.
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if head[5] & 0x10 else 0
    return 10 + size + footer


def _chunk_cut_short(
    handle: BinaryIO, size: int, start: int, order: str, audio_chunk: bytes
) -> bool:
    """WAV and AIFF: the audio chunk's declared size runs past the end of the file."""
    offset = start + 12
    while offset + 8 <= size:
        handle.seek(offset)
        name, length = struct.unpack(f"{order}4sI", handle.read(8))
        if name == audio_chunk:
            # Streaming writers leave 0 or 0xFFFFFFFF when they never learnt the size;
            # a few bytes short is tolerated because some writers miscount the pad byte.
            return length not in (0, 0xFFFFFFFF) and length - (size - offset - 8) > 8
        offset += 8 + length + (length & 1)
    # No audio chunk: cut if the file stops inside a chunk that came before it.
    return offset != size


def _ogg_cut_short(handle: BinaryIO, size: int) -> bool:
    """Ogg: the last intact page does not close the stream, or a page after it broke off."""
    handle.seek(max(0, size - 2 * OGG_MAX_PAGE))
    tail = handle.read()
    at = len(tail)
    while (at := tail.rfind(b"OggS", 0, at)) != -1:
        page_end = _ogg_page_end(tail, at)
        if page_end is not None:
            trailing = tail[page_end : page_end + 4]
            another_page_began = bool(trailing) and b"OggS".startswith(trailing)
            return not tail[at + 5] & OGG_END_OF_STREAM or another_page_began
    return True


def _ogg_page_end(data: bytes, at: int) -> int | None:
    """Where the page starting at ``at`` ends, if it is whole and its checksum holds."""
    if at + 27 > len(data) or data[at + 4] != 0:
        return None
    body_start = at + 27 + data[at + 26]
    if body_start > len(data):
        return None
    page_end = body_start + sum(data[at + 27 : body_start])
    if page_end > len(data):
        return None
    page = data[at : at + 22] + bytes(4) + data[at + 26 : page_end]
    (stored,) = struct.unpack_from("<I", data, at + 22)
    reflected = zlib.crc32(page.translate(BIT_REVERSED), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return page_end if int(f"{reflected:032b}"[::-1], 2) == stored else None


def _flac_cut_short(handle: BinaryIO, size: int, start: int) -> bool:
    """FLAC: the frame that ends at STREAMINFO's total is missing, or its checksum fails."""
    streaminfo, last, offset = b"", False, start + 4
    while not last:  # Metadata blocks: a flag for the last one, a type and a length each.
        handle.seek(offset)
        block_header = handle.read(4)
        if len(block_header) < 4:
            return True
        last, length = block_header[0] & 0x80, int.from_bytes(block_header[1:], "big")
        if block_header[0] & 0x7F == 0:
            streaminfo = handle.read(length)
        offset += 4 + length
    if offset > size:
        return True
    if len(streaminfo) < 18:
        return False
    block_size = int.from_bytes(streaminfo[2:4], "big")
    largest_frame = int.from_bytes(streaminfo[7:10], "big") or FLAC_UNKNOWN_FRAME
    total = int.from_bytes(streaminfo[10:18], "big") & ((1 << 36) - 1)
    if total == 0:
        return False  # The encoder never learnt the length: nothing to compare with.
    handle.seek(max(offset, size - largest_frame - ID3V1_SIZE - 16))
    tail = handle.read()
    at = len(tail)
    while (at := tail.rfind(b"\xff", 0, at)) != -1:
        samples = _flac_frame_samples(tail[at : at + 16], block_size)
        if samples is not None and sum(samples) == total:
            return not _flac_frame_whole(tail[at:])
    return True


def _flac_frame_samples(header: bytes, block_size: int) -> tuple[int, int] | None:
    """(first sample, samples in the frame) from a FLAC frame header, or None if none is there."""
    if len(header) < 6 or header[1] not in (0xF8, 0xF9) or header[3] & 1:
        return None
    size_code, rate_code = header[2] >> 4, header[2] & 0x0F
    if size_code == 0 or rate_code == 0x0F or header[3] >> 4 > 10 or (header[3] >> 1) & 7 == 3:
        return None
    # The frame (or, with variable block sizes, sample) number is coded like UTF-8.
    ones = 8 - (header[4] ^ 0xFF).bit_length()
    if ones == 1 or ones > 7:
        return None
    at = 5 + max(ones - 1, 0)
    number = header[4] & (0x7F >> ones)
    for byte in header[5:at]:
        if byte >> 6 != 2:
            return None
        number = (number << 6) | (byte & 0x3F)
    uncommon_size = {6: 1, 7: 2}.get(size_code, 0)
    uncommon_rate = {12: 1, 13: 2, 14: 2}.get(rate_code, 0)
    if at + uncommon_size + uncommon_rate >= len(header):
        return None
    if uncommon_size:
        samples = int.from_bytes(header[at : at + uncommon_size], "big") + 1
    elif size_code == 1:
        samples = 192
    else:
        samples = 576 << (size_code - 2) if size_code <= 5 else 256 << (size_code - 8)
    at += uncommon_size + uncommon_rate
    if _crc(CRC8_TABLE, 8, header[:at]) != header[at]:
        return None
    first = number if header[1] & 1 else number * block_size
    return first, samples


def _flac_frame_whole(frame: bytes) -> bool:
    """The frame's CRC-16 holds at the end of the file, or before an ID3v1 tag there."""
    # A CRC over data followed by its own big-endian CRC comes out as zero.
    if _crc(CRC16_TABLE, 16, frame) == 0:
        return True
    return frame[-ID3V1_SIZE:][:3] == b"TAG" and _crc(CRC16_TABLE, 16, frame[:-ID3V1_SIZE]) == 0


def _crc(table: tuple[int, ...], width: int, data: bytes) -> int:
    """Unreflected CRC with zero start, as FLAC uses (CRC-8 for headers, CRC-16 for frames)."""
    crc, shift, mask = 0, width - 8, (1 << width) - 1
    for byte in data:
        crc = ((crc << 8) & mask) ^ table[(crc >> shift) ^ byte]
    return crc


def _mp3_cut_short(handle: BinaryIO, size: int, start: int) -> bool:
    """MP3: the last frame, found by walking frame to frame, runs past the end of the file."""
    tail_start = max(start, size - MP3_TAIL)
    handle.seek(tail_start)
    tail = handle.read()
    # A short file is walked from its first frame, already found where the audio starts.
    at = 0 if tail_start == start else _mp3_sync(tail)
    if at is None:
        return False  # Too few frames to lock on to: nothing to judge by.
    stream = int.from_bytes(tail[at : at + 4], "big") & MP3_STREAM_BITS
    while at + 4 <= len(tail):
        frame = _mp3_frame(tail[at : at + 4])
        if frame is None or frame[0] != stream:
            return False  # A tag or other data follows the last frame.
        at += frame[1]
    # Past the end: the last frame broke off; short of it: a header had begun.
    return at > len(tail) or tail[at : at + 1] == b"\xff"


def _mp3_sync(data: bytes) -> int | None:
    """The first offset where three frames of one stream follow each other."""
    at = data.find(b"\xff")
    while at != -1:
        frames = [_mp3_frame(data[at : at + 4])]
        if frames[0] is not None:
            second = at + frames[0][1]
            frames.append(_mp3_frame(data[second : second + 4]))
            if frames[1] is not None:
                third = second + frames[1][1]
                frames.append(_mp3_frame(data[third : third + 4]))
        if len(frames) == 3 and frames[2] is not None and len({f[0] for f in frames}) == 1:
            return at
        at = data.find(b"\xff", at + 1)
    return None


def _mp3_frame(header: bytes) -> tuple[int, int] | None:
    """(stream bits, frame length in bytes) of an MPEG audio frame header, or None."""
    if len(header) < 4:
        return None
    word = int.from_bytes(header, "big")
    version, layer = (word >> 19) & 3, (word >> 17) & 3
    bitrate_index, rate_index = (word >> 12) & 0x0F, (word >> 10) & 3
    if word >> 21 != 0x7FF or version == 1 or layer == 0:
        return None
    if bitrate_index in (0, 0x0F) or rate_index == 3:
        return None
    mpeg1, padding = version == 3, (word >> 9) & 1
    bits_per_second = MP3_BITRATES[(mpeg1, layer)][bitrate_index] * 1000
    rate = MP3_RATES[rate_index] // MP3_RATE_DIVISORS[version]
    if layer == 3:  # Layer I counts in four-byte slots.
        length = (12 * bits_per_second // rate + padding) * 4
    else:
        per_frame = 72 if layer == 1 and not mpeg1 else 144
        length = per_frame * bits_per_second // rate + padding
    return word & MP3_STREAM_BITS, length

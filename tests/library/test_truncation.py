"""Files cut short are refused in every format, judged by each format's own end."""

from pathlib import Path

import numpy as np
import pytest

from library.analysis import AnalysisError, load_audio, probe
from tests import audiogen

CUT_SHORT = "cut short"
# (suffix, subtype, sample rate): every encoding the library accepts.
ENCODINGS = {
    "wav": ("wav", "PCM_16", 44100),
    "aiff": ("aiff", "PCM_24", 44100),
    "flac": ("flac", "PCM_16", 44100),
    "flac 24-bit": ("flac", "PCM_24", 96000),
    "mp3": ("mp3", None, 44100),
    "vorbis": ("ogg", "VORBIS", 44100),
    "opus": ("ogg", "OPUS", 48000),
}
FIRST_HALF = (0.04, 0.1, 0.25, 0.4)
SECOND_HALF = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99)


def whole_file(folder: Path, encoding: str, seconds=2.0, channels=2) -> Path:
    suffix, subtype, sr = ENCODINGS[encoding]
    # The loop repeats for files longer than its one bar.
    audio = np.tile(audiogen.drum_loop(120, 1, sr), 4)[: round(seconds * sr)]
    if channels == 2:
        audio = audiogen.stereo(audio)
    name = f"whole {encoding} {seconds} {channels}.{suffix}"
    return audiogen.write(folder / name, audio, sr, subtype)


def cut(whole: Path, size: int) -> Path:
    path = whole.with_name(f"cut at {size} {whole.name}")
    path.write_bytes(whole.read_bytes()[:size])
    return path


def marker_offsets(data: bytes, marker: bytes) -> list[int]:
    """Where each occurrence of marker starts, the first one excepted."""
    offsets, at = [], data.find(marker, 1)
    while at != -1:
        offsets.append(at)
        at = data.find(marker, at + 1)
    return offsets


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_an_intact_file_is_accepted_whole(tmp_path, encoding):
    path = whole_file(tmp_path, encoding)
    info = probe(path)
    assert info.duration == pytest.approx(2.0, abs=0.01)
    assert load_audio(path).info == info


@pytest.mark.parametrize("fraction", FIRST_HALF + SECOND_HALF)
@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_a_file_cut_anywhere_is_refused_as_cut_short(tmp_path, encoding, fraction):
    whole = whole_file(tmp_path, encoding)
    path = cut(whole, round(whole.stat().st_size * fraction))
    with pytest.raises(AnalysisError, match=CUT_SHORT):
        probe(path)
    with pytest.raises(AnalysisError, match=CUT_SHORT):
        load_audio(path)


@pytest.mark.parametrize("missing", [1, 2, 3, 7, 100])
@pytest.mark.parametrize("encoding", ["flac", "flac 24-bit", "mp3", "vorbis", "opus"])
def test_a_file_missing_only_its_last_bytes_is_refused(tmp_path, encoding, missing):
    whole = whole_file(tmp_path, encoding)
    with pytest.raises(AnalysisError, match=CUT_SHORT):
        probe(cut(whole, whole.stat().st_size - missing))


@pytest.mark.parametrize("encoding", ["vorbis", "opus"])
def test_an_ogg_file_cut_between_two_pages_is_refused(tmp_path, encoding):
    # Every page left is intact, so only the missing end-of-stream page tells.
    whole = whole_file(tmp_path, encoding)
    boundaries = marker_offsets(whole.read_bytes(), b"OggS")
    assert len(boundaries) >= 4
    for size in boundaries:
        with pytest.raises(AnalysisError, match=CUT_SHORT):
            probe(cut(whole, size))


@pytest.mark.parametrize("encoding", ["flac", "flac 24-bit"])
def test_a_flac_file_cut_between_two_frames_is_refused(tmp_path, encoding):
    # Every frame left is intact, so only the total in STREAMINFO tells.
    whole = whole_file(tmp_path, encoding)
    data = whole.read_bytes()
    boundaries = [at for at in marker_offsets(data, b"\xff") if data[at + 1] in (0xF8, 0xF9)]
    assert len(boundaries) >= 4
    for size in boundaries:
        with pytest.raises(AnalysisError, match=CUT_SHORT):
            probe(cut(whole, size))


def test_an_mp3_cut_between_two_frames_is_refused_by_its_announced_length(tmp_path):
    # Every frame left is intact, so only the count in the Xing header tells; losing
    # just the last frame (at most 26 ms) is within what an encoder may miscount.
    whole = whole_file(tmp_path, "mp3")
    data = whole.read_bytes()
    boundaries = [at for at in marker_offsets(data, b"\xff\xfb") if at > len(data) // 2]
    assert len(boundaries) >= 10
    for size in boundaries[:-1]:
        with pytest.raises(AnalysisError, match=CUT_SHORT):
            probe(cut(whole, size))


@pytest.mark.parametrize("seconds", [0.01, 0.3, 1.0, 7.3])
@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_intact_files_of_any_length_are_never_taken_for_cut_ones(
    tmp_path, encoding, channels, seconds
):
    path = whole_file(tmp_path, encoding, seconds, channels)
    assert probe(path).duration == pytest.approx(seconds, abs=0.01)


@pytest.mark.parametrize("encoding", ["mp3", "flac"])
def test_a_tag_written_after_the_audio_is_not_taken_for_a_cut(tmp_path, encoding):
    whole = whole_file(tmp_path, encoding)
    tagged = whole.with_name(f"tagged{whole.suffix}")
    tagged.write_bytes(whole.read_bytes() + b"TAG" + b"Song title".ljust(125, b"\0"))
    assert probe(tagged).duration == pytest.approx(2.0, abs=0.01)

"""`manage.py analyze_file`: plain JSON for every file, and one bad file never ends the run."""

import json
from io import StringIO

import numpy as np
import pytest
import soundfile as sf
from django.core.management import call_command

from library.management.commands.analyze_file import STABLE_KEYS, plain
from tests import audiogen

PLAIN_TYPES = (type(None), bool, int, float, str)


def assert_plain(value, where="line"):
    """Fail unless value is built only of exact JSON types (no numpy, no subclasses)."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, where
            assert_plain(item, f"{where}.{key}")
    elif isinstance(value, list) and type(value) is list:
        for index, item in enumerate(value):
            assert_plain(item, f"{where}[{index}]")
    else:
        assert type(value) in PLAIN_TYPES, f"{where} is {type(value).__name__}"


def run_json(*paths) -> list[dict]:
    out = StringIO()
    call_command("analyze_file", *[str(path) for path in paths], "--json", stdout=out)
    # parse_constant refuses NaN and Infinity, which other JSON readers reject.
    return [json.loads(line, parse_constant=pytest.fail) for line in out.getvalue().splitlines()]


@pytest.fixture
def odd_files(tmp_path):
    """Files a real folder holds: tiny, silent, not audio, empty, hi-res stereo, normal."""
    one_frame = tmp_path / "one frame.wav"
    sf.write(one_frame, np.array([0.5], dtype=np.float32), 44100, subtype="PCM_16")
    silent = audiogen.write(tmp_path / "silence.wav", audiogen.silence(1.0))
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("these are my notes, not audio")
    empty = tmp_path / "empty.wav"
    empty.touch()
    hires = tmp_path / "kick 96k.flac"
    sf.write(hires, audiogen.stereo(audiogen.kick(96000)), 96000, subtype="PCM_24")
    # A melodic loop with a neutral name: its loop-rule confidences are numpy
    # float32 values inside the analysis.
    take = audiogen.write(tmp_path / "take 3.wav", audiogen.melodic_loop("C", "minor", 100.0))
    kick = audiogen.write(tmp_path / "kick.wav", audiogen.kick())
    return [one_frame, silent, not_audio, empty, hires, take, kick]


def test_every_line_is_plain_json_and_a_bad_file_does_not_end_the_run(odd_files):
    lines = run_json(*odd_files)

    assert [line["path"] for line in lines] == [str(path) for path in odd_files]
    for line in lines:
        assert set(STABLE_KEYS) <= set(line)
        assert_plain(line)
    by_name = {line["path"].rsplit("/", 1)[-1]: line for line in lines}
    assert by_name["notes.wav"]["error"]
    assert by_name["notes.wav"]["duration"] is None
    assert by_name["empty.wav"]["error"] == "The file is empty."
    for name in ("one frame.wav", "silence.wav", "kick 96k.flac", "take 3.wav", "kick.wav"):
        assert by_name[name]["error"] is None, name
    hires = by_name["kick 96k.flac"]
    assert (hires["sample_rate"], hires["channels"], hires["bit_depth"]) == (96000, 2, 24)
    # The good files after the bad ones were analysed in full.
    assert by_name["kick.wav"]["kind"] == "one-shot"
    assert by_name["kick.wav"]["duration"] == pytest.approx(0.5)
    assert by_name["take 3.wav"]["kind"] == "loop"


class NumpyResult:
    """What an analysis result's to_dict() may hold: numpy values, even NaN."""

    def to_dict(self):
        return {
            "duration": np.float32(1.5),
            "sample_rate": np.int64(48000),
            "channels": np.int32(2),
            "bit_depth": np.uint16(24),
            "bpm": np.float64("nan"),
            "bpm_confidence": np.float32(0.25),
            "key": np.str_("A"),
            "scale": "minor",
            "key_confidence": np.float16(0.5),
            "kind": "loop",
            "category": "melodic_loop",
            "category_confidence": np.float32(0.62),
            "onset_rate": np.float64(3.0),
            "loudness_lufs": np.float32("-inf"),
            "peak_db": np.array(-1.0, dtype=np.float32),
            "rms_db": -12.0,
            "kind_confidence": np.bool_(True),
        }


def test_numpy_values_from_the_analysis_are_printed_as_plain_json(monkeypatch, tmp_path):
    monkeypatch.setattr(
        "library.management.commands.analyze_file.analyze", lambda path, **hints: NumpyResult()
    )

    (line,) = run_json(tmp_path / "any.wav")

    assert_plain(line)
    assert line["sample_rate"] == 48000
    assert line["category_confidence"] == pytest.approx(0.62)
    assert line["key"] == "A"
    assert line["bpm"] is None  # NaN is not JSON
    assert line["loudness_lufs"] is None
    assert line["peak_db"] == -1.0


def test_any_exception_on_one_file_becomes_its_error_and_the_next_file_is_analysed(
    monkeypatch, tmp_path
):
    from library import analysis

    real_analyze = analysis.analyze

    def analyze(path, **hints):
        if path.name == "crash.wav":
            raise ValueError("zero-size array to reduction operation maximum")
        return real_analyze(path, **hints)

    monkeypatch.setattr("library.management.commands.analyze_file.analyze", analyze)
    kick = audiogen.write(tmp_path / "kick.wav", audiogen.kick())
    crash = audiogen.write(tmp_path / "crash.wav", audiogen.kick())

    crashed, analysed = run_json(crash, kick)

    assert crashed["error"].startswith("Analysis stopped with an internal error")
    assert "zero-size array" in crashed["error"]
    assert crashed["kind"] is None
    assert analysed["error"] is None
    assert analysed["kind"] == "one-shot"


def test_plain_text_output_reports_errors_and_goes_on(odd_files):
    out = StringIO()
    call_command("analyze_file", *[str(path) for path in odd_files[2:]], stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith(
        "notes.wav: Not an audio file this app reads (WAV, AIFF, FLAC, MP3 or OGG), or too damaged to open."
    )
    assert lines[1].endswith("empty.wav: The file is empty.")
    assert len(lines) == 5
    assert "kick.wav: one-shot, " in lines[-1]
    # The generated kick sweeps from 160 to 50 Hz through its whole length: no settled note.
    assert lines[-1].endswith(", no tempo, no key, 0.50 s")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": (np.float32(0.5), [np.int8(3)])}, {"a": [0.5, [3]]}),
        (np.arange(3, dtype=np.int16), [0, 1, 2]),
        (float("inf"), None),
        (np.bool_(False), False),
    ],
)
def test_plain_turns_numpy_and_non_finite_values_into_json_values(value, expected):
    converted = plain(value)
    assert converted == expected
    assert_plain(converted)


def test_a_file_that_cannot_be_read_is_told_apart_from_an_internal_error(monkeypatch, tmp_path):
    locked, other = tmp_path / "locked.wav", tmp_path / "other.wav"

    def analyze(path, **hints):
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))
        raise FileNotFoundError(2, "No such file or directory", "/app/model.npz")

    monkeypatch.setattr("library.management.commands.analyze_file.analyze", analyze)

    unreadable, internal = run_json(locked, other)

    assert unreadable["error"] == "The file could not be read: Permission denied."
    assert internal["error"].startswith("Analysis stopped with an internal error")
    assert "model.npz" in internal["error"]


def test_a_note_prints_its_pitch_and_cents_as_plain_json(tmp_path):
    path = audiogen.write(tmp_path / "sub.wav", audiogen.long_808(44100, 2.0, 29), 44100)
    (line,) = run_json(path)
    assert_plain(line)
    assert line["pitch"] == "F1" and type(line["pitch_cents"]) is int and line["key"] is None

"""Accuracy and robustness of the audio analysis, on generated audio with known answers."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from library.analysis import (
    CATEGORIES,
    FEATURE_NAMES,
    AnalysisError,
    analyze,
    probe,
)
from library.analysis.naming import read_name, words
from tests import audiogen

DRUM_ONE_SHOTS = {
    "kick": audiogen.kick,
    "snare": audiogen.snare,
    "clap": audiogen.clap,
    "closed_hat": audiogen.closed_hat,
    "open_hat": audiogen.open_hat,
}
TEMPOS = (70, 85, 90, 100, 120, 140, 160, 170)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("analysis")


def write(folder: Path, name: str, audio, sr=audiogen.SR, subtype=None) -> Path:
    return audiogen.write(folder / name, audio, sr, subtype=subtype)


def analyse(folder, audio, name="s1.wav", sr=audiogen.SR, folder_hint="", **options):
    path = write(folder, f"{len(list(folder.iterdir()))}-{name}", audio, sr)
    return analyze(path, name_hint=name, folder_hint=folder_hint, **options)


# Tempo -------------------------------------------------------------------------


@pytest.mark.parametrize("bars", [1, 2, 4])
@pytest.mark.parametrize("bpm", TEMPOS)
def test_drum_loops_get_the_exact_tempo(folder, bpm, bars):
    result = analyse(folder, audiogen.drum_loop(bpm, bars))
    assert result.kind == "loop"
    assert result.bpm == pytest.approx(bpm, abs=0.5)
    assert 0 < result.bpm_confidence <= 1


def test_equal_length_loops_at_half_and_double_tempo_both_come_out_right(folder):
    slow = audiogen.drum_loop(80, 1)
    fast = audiogen.drum_loop(160, 2)
    assert slow.size == fast.size == 3 * audiogen.SR
    assert analyse(folder, slow).bpm == pytest.approx(80, abs=0.5)
    assert analyse(folder, fast).bpm == pytest.approx(160, abs=0.5)


@pytest.mark.parametrize("tail", [0.05, 0.1, 0.2])
@pytest.mark.parametrize(("bpm", "bars"), [(85, 1), (120, 2), (170, 1), (100, 4), (140, 2)])
def test_loops_with_a_tail_still_get_the_exact_tempo(folder, bpm, bars, tail):
    result = analyse(folder, audiogen.drum_loop(bpm, bars, tail_seconds=tail))
    assert result.bpm == pytest.approx(bpm, abs=0.5)


def test_the_length_gives_a_non_integer_tempo_exactly(folder):
    # 4 bars lasting 8.1 s are 118.52 BPM, not the nearest whole number.
    result = analyse(folder, audiogen.drum_loop(240 * 4 / 8.1, 4))
    assert result.bpm == pytest.approx(118.52, abs=0.02)


@pytest.mark.parametrize("bars", [2.75, 5, 20])
def test_a_loop_that_is_not_a_usual_number_of_bars_still_gets_its_tempo(folder, bars):
    audio = audiogen.drum_loop(137, math.ceil(bars))[: round(bars * 240 / 137 * audiogen.SR)]
    assert analyse(folder, audio).bpm == pytest.approx(137, abs=0.5)


def test_a_melodic_loop_gets_tempo_key_and_category(folder):
    result = analyse(folder, audiogen.melodic_loop("F#", "minor", bpm=96, bars=2))
    assert (result.kind, result.category) == ("loop", "melodic_loop")
    assert result.bpm == pytest.approx(96, abs=0.5)
    assert (result.key, result.scale) == ("F#", "minor")


def test_the_tempo_range_decides_between_half_and_double(folder):
    result = analyse(folder, audiogen.drum_loop(170, 2), tempo_range=(60.0, 100.0))
    assert result.bpm == pytest.approx(85, abs=0.5)


def test_a_bpm_written_in_the_name_wins_when_it_fits_the_length(folder):
    # A 2-bar loop at 100 BPM has the length of 4 bars at 200 or 1 bar at 50.
    result = analyse(folder, audiogen.drum_loop(100, 2), name="groove 50bpm.wav")
    assert result.bpm == 50


# Key ---------------------------------------------------------------------------

KEYS = [(root, scale) for scale in ("major", "minor") for root in audiogen.PITCH_CLASSES]


@pytest.mark.parametrize(("root", "scale"), KEYS)
def test_sustained_chords_get_the_right_key_and_scale(folder, root, scale):
    result = analyse(folder, audiogen.chord(root, scale, 4.0))
    assert (result.key, result.scale) == (root, scale)
    assert result.key_confidence > 0.5


@pytest.mark.parametrize(("root", "scale"), KEYS)
def test_melodies_get_the_right_key_and_scale(folder, root, scale):
    result = analyse(folder, audiogen.melodic_loop(root, scale, bpm=110, bars=2))
    assert (result.key, result.scale) == (root, scale)


def test_noise_gets_no_key(folder):
    noise = np.random.default_rng(0).standard_normal(audiogen.SR).astype(np.float32) * 0.3
    result = analyse(folder, noise)
    assert (result.key, result.scale, result.key_confidence) == (None, None, 0.0)


# Categories from the sound -----------------------------------------------------


def test_drum_one_shots_get_no_key(folder):
    sounds = [make(seed=seed) for make in DRUM_ONE_SHOTS.values() for seed in range(1, 5)]
    sounds += [audiogen.tom(pitch_hz=hz) for hz in (90, 130, 180, 240)]
    keyed = [analyse(folder, sound).key for sound in sounds]
    assert sum(key is None for key in keyed) >= 0.95 * len(sounds)


def test_a_tom_is_told_from_a_kick_by_where_its_pitch_settles(folder):
    assert analyse(folder, audiogen.tom(pitch_hz=140)).category == "tom"


@pytest.mark.parametrize(
    ("make", "categories"),
    [
        (lambda: audiogen.bass_note(33, 1.5), {"bass"}),
        (lambda: audiogen.long_808(), {"bass"}),
        (lambda: audiogen.pad_chord("D", "minor", 5.0), {"pad", "keys", "lead"}),
    ],
    ids=["bass note", "long 808", "pad chord"],
)
def test_tonal_one_shots_are_categorised_by_their_sound(folder, make, categories):
    assert analyse(folder, make()).category in categories


# Categories from the name (see test_categories.py for how names weigh on the sound) --


def test_name_words_match_whole_words_only(folder):
    result = analyse(folder, audiogen.snare(), name="abduct.wav")
    assert result.category != "kick"
    assert read_name("abduct.wav").categories == frozenset()


def test_names_split_at_case_and_digit_boundaries():
    assert words("HiHatOpen01_Dusty") == ["hi", "hat", "open", "01", "dusty"]
    assert read_name("ClosedHat.wav").categories == {"closed_hat"}
    assert read_name("hat 2.wav", "Open Hats").categories == {"open_hat"}
    assert read_name("808 Kick.wav").categories == {"kick"}
    assert read_name("Deep 808.wav").categories == frozenset()


def test_an_808_named_one_shot_is_told_kick_or_bass_by_its_sound(folder):
    # "808" names a machine, not a class: the sound decides.
    assert analyse(folder, audiogen.long_808(), name="808 boom.wav").category == "bass"
    assert analyse(folder, audiogen.kick(), name="808 (3).wav").category == "kick"


def test_a_loop_named_after_an_instrument_becomes_that_instruments_loop(folder):
    result = analyse(folder, audiogen.drum_loop(120, 2), name="Kick Loop 120.wav")
    assert (result.kind, result.category, result.category_source) == ("loop", "drum_loop", "name")


# Loop or one-shot --------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [lambda: audiogen.long_808(seconds=5.0), lambda: audiogen.pad_chord("C", "major", 6.0)],
    ids=["decaying 808", "sustained pad"],
)
def test_a_one_shot_longer_than_four_seconds_is_a_one_shot(folder, make):
    result = analyse(folder, make())
    assert result.duration > 4
    assert (result.kind, result.bpm, result.bpm_confidence) == ("one-shot", None, None)


def test_a_loop_shorter_than_a_second_and_a_half_is_a_loop(folder):
    result = analyse(folder, audiogen.drum_loop(170, 1))
    assert result.duration < 1.5
    assert result.kind == "loop"
    assert result.bpm == pytest.approx(170, abs=0.5)


# probe -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "sr", "subtype", "fmt", "bit_depth"),
    [
        ("a.wav", 44100, "PCM_16", "wav", 16),
        ("a.wav", 48000, "PCM_24", "wav", 24),
        ("a.wav", 96000, "FLOAT", "wav", 32),
        ("a.aiff", 44100, "PCM_16", "aiff", 16),
        ("a.flac", 48000, "PCM_24", "flac", 24),
        ("a.mp3", 44100, None, "mp3", None),
        ("a.ogg", 44100, None, "ogg", None),
    ],
)
def test_probe_reads_every_supported_format(tmp_path, name, sr, subtype, fmt, bit_depth):
    path = audiogen.write(tmp_path / name, audiogen.stereo(audiogen.snare(sr)), sr, subtype)
    info = probe(path)
    assert (info.format, info.sample_rate, info.channels, info.bit_depth) == (fmt, sr, 2, bit_depth)
    assert info.duration == pytest.approx(0.35, abs=0.01)
    assert info.frames == round(info.duration * sr)


def test_probe_rejects_bytes_that_are_not_audio(tmp_path):
    path = tmp_path / "fake.wav"
    path.write_bytes(b"this is a text file, not a recording\n" * 50)
    with pytest.raises(AnalysisError, match="Not an audio file this app reads"):
        probe(path)


@pytest.mark.parametrize("head", [b"", b"ID3\x03\x00\x00\x00\x00\x00\x00", b"\xff\xfb\x90\x00"])
def test_probe_says_plainly_that_garbage_named_mp3_is_not_audio(tmp_path, head):
    path = tmp_path / "beat.mp3"
    path.write_bytes(head + bytes(range(256)) * 40)
    with pytest.raises(AnalysisError) as refused:
        probe(path)
    message = str(refused.value)
    assert "pipe" not in message and "regular file" not in message
    assert "Not an audio file this app reads" in message or "cut short" in message


def test_probe_rejects_an_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AnalysisError, match="empty"):
        probe(path)


@pytest.mark.parametrize("name", ["cut.wav", "cut.aiff", "cut.flac", "cut.mp3"])
def test_probe_rejects_a_file_cut_short(tmp_path, name):
    whole = audiogen.write(tmp_path / f"whole-{name}", audiogen.drum_loop(120, 1), 44100)
    path = tmp_path / name
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(AnalysisError):
        probe(path)


def test_a_file_without_samples_is_rejected(tmp_path):
    path = audiogen.write(tmp_path / "none.wav", np.zeros(0, dtype=np.float32))
    with pytest.raises(AnalysisError, match="no audio"):
        probe(path)
    with pytest.raises(AnalysisError):
        analyze(path)


# Formats and odd files ---------------------------------------------------------

FORMATS = [
    ("wav", 44100, "PCM_16"),
    ("wav", 44100, "PCM_24"),
    ("wav", 44100, "FLOAT"),
    ("wav", 48000, "PCM_16"),
    ("wav", 96000, "PCM_24"),
    ("wav", 44100, "PCM_U8"),
    ("aiff", 44100, "PCM_24"),
    ("flac", 96000, "PCM_24"),
    ("mp3", 44100, None),
    ("mp3", 48000, None),
    ("ogg", 48000, None),
]


@pytest.mark.parametrize(("suffix", "sr", "subtype"), FORMATS)
def test_the_same_loop_analyses_alike_in_every_format(tmp_path, suffix, sr, subtype):
    audio = audiogen.stereo(audiogen.drum_loop(100, 2, sr))
    path = audiogen.write(tmp_path / f"loop.{suffix}", audio, sr, subtype)
    result = analyze(path)
    assert (result.format, result.sample_rate, result.channels) == (suffix, sr, 2)
    assert (result.kind, result.category) == ("loop", "drum_loop")
    assert result.bpm == pytest.approx(100, abs=0.5)


def test_a_silent_file_analyses_without_a_key_or_tempo(folder):
    result = analyse(folder, audiogen.silence(2.0))
    assert (result.category, result.key, result.bpm, result.loudness_lufs) == (
        "other",
        None,
        None,
        None,
    )
    assert result.peak == 0 and result.rms_db == -120.0


def test_a_ten_millisecond_file_analyses(folder):
    result = analyse(folder, audiogen.kick()[:441])
    assert result.duration == pytest.approx(0.01)
    assert result.kind == "one-shot"
    assert len(result.waveform_peaks) == 256


def test_mono_and_stereo_give_the_same_category(folder):
    mono = analyse(folder, audiogen.clap())
    stereo = analyse(folder, audiogen.stereo(audiogen.clap()))
    assert (mono.channels, stereo.channels) == (1, 2)
    assert mono.category == stereo.category == "clap"


# The result --------------------------------------------------------------------


def test_the_result_is_complete_and_json_ready(folder):
    result = analyse(folder, audiogen.drum_loop(120, 1))
    data = json.loads(json.dumps(result.to_dict()))
    assert len(data["mfcc"]) == 13
    assert len(data["feature_vector"]) == len(FEATURE_NAMES)
    assert all(math.isfinite(value) for value in data["feature_vector"])
    assert len(data["waveform_peaks"]) == 256
    assert all(low <= high for low, high in data["waveform_peaks"])
    assert data["category"] in CATEGORIES and 0 <= data["category_confidence"] <= 1
    assert 0 <= data["harmonic_ratio"] <= 1 and 0 <= data["kind_confidence"] <= 1


def test_loudness_follows_bs1770_for_a_reference_tone(folder):
    # A 997 Hz sine peaking at -20 dBFS on one channel reads -23.0 LUFS (-3.01 + -20).
    t = np.arange(5 * 48000) / 48000
    tone = (0.1 * np.sin(2 * np.pi * 997 * t)).astype(np.float32)
    assert analyse(folder, tone, sr=48000).loudness_lufs == pytest.approx(-23.0, abs=0.1)
    stereo = np.stack([tone, tone], axis=1)
    assert analyse(folder, stereo, sr=48000).loudness_lufs == pytest.approx(-20.0, abs=0.1)


def test_similar_sounds_have_nearer_feature_vectors(folder):
    vectors = {
        name: np.array(analyse(folder, sound).feature_vector)
        for name, sound in {
            "kick": audiogen.kick(seed=1),
            "kick2": audiogen.kick(start_hz=180, end_hz=55, seed=2),
            "hat": audiogen.closed_hat(),
        }.items()
    }
    scale = np.std(list(vectors.values()), axis=0) + 1e-9
    distance = {name: np.linalg.norm((v - vectors["kick"]) / scale) for name, v in vectors.items()}
    assert distance["kick2"] < distance["hat"]


def test_the_module_never_imports_django():
    code = "import sys, library.analysis; print(any(m.startswith('django') for m in sys.modules))"
    root = Path(__file__).resolve().parents[2]
    output = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert output.stdout.strip() == "False", output.stderr

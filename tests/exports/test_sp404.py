"""SP-404MK2 conversion and naming rules (exports.sp404), without a database."""

import dataclasses
import re

import numpy as np
import pytest
import soundfile as sf

from exports import convert as convert_module
from exports import sp404
from exports.sp404 import ExportOptions

FAT_ILLEGAL = set('\\/:*?"<>|')


def tone(seconds, rate, *, channels=1, amplitude=0.5, frequency=440.0):
    """A sine of the given length, the same on every channel, as float64 (frames, channels)."""
    time = np.arange(round(seconds * rate)) / rate
    wave = amplitude * np.sin(2 * np.pi * frequency * time)
    return np.repeat(wave[:, None], channels, axis=1)


def write(path, signal, rate, subtype, audio_format="WAV"):
    """Write a fixture file and return its path."""
    sf.write(path, signal, rate, subtype=subtype, format=audio_format)
    return path


def read_int16(path):
    """A written 16-bit file's samples as integers, (frames, channels)."""
    return sf.read(path, dtype="int16", always_2d=True)[0]


@pytest.fixture
def mono_44k_16bit(tmp_path):
    return write(tmp_path / "mono44.wav", tone(1.0, 44100), 44100, "PCM_16")


@pytest.fixture
def stereo_96k_24bit(tmp_path):
    noise = np.random.default_rng(1).uniform(-0.5, 0.5, (96000 + 777, 2))
    return write(tmp_path / "stereo96.wav", noise, 96000, "PCM_24")


@pytest.fixture
def hot_float(tmp_path):
    """32-bit float at 48 kHz whose peaks reach +1.8 and -1.6 full scale."""
    signal = tone(0.5, 48000, amplitude=0.9)
    signal[1000] = 1.8
    signal[2000] = -1.6
    return write(tmp_path / "hot.wav", signal.astype(np.float32), 48000, "FLOAT")


# Conversion: rate, depth, channels, length


def test_44k_mono_becomes_48k_16bit_mono_with_resampled_length(mono_44k_16bit, tmp_path):
    result = sp404.convert(mono_44k_16bit, tmp_path / "out.wav")
    info = sf.info(tmp_path / "out.wav")
    assert (info.samplerate, info.subtype, info.channels, info.format) == (
        48000,
        "PCM_16",
        1,
        "WAV",
    )
    assert abs(info.frames - sp404.expected_frames(44100, 44100, 48000)) <= 1
    assert result.frames == info.frames
    assert result.bytes_written == (tmp_path / "out.wav").stat().st_size


def test_96k_24bit_stereo_stays_stereo_at_48k_16bit(stereo_96k_24bit, tmp_path):
    result = sp404.convert(stereo_96k_24bit, tmp_path / "out.wav")
    info = sf.info(tmp_path / "out.wav")
    assert (info.samplerate, info.subtype, info.channels) == (48000, "PCM_16", 2)
    assert abs(info.frames - round(96777 * 48000 / 96000)) <= 1
    assert result.channels == 2
    assert result.dithered


def test_8bit_source_converts_to_16bit(tmp_path):
    source = write(tmp_path / "eight.wav", tone(0.5, 22050), 22050, "PCM_U8")
    sp404.convert(source, tmp_path / "out.wav")
    info = sf.info(tmp_path / "out.wav")
    assert (info.samplerate, info.subtype, info.frames) == (48000, "PCM_16", 24000)


def test_48k_16bit_source_is_copied_bit_exactly_without_dither(tmp_path):
    samples = np.random.default_rng(2).integers(-32768, 32767, (4800, 2), dtype=np.int16)
    source = write(tmp_path / "already.wav", samples, 48000, "PCM_16")
    result = sp404.convert(source, tmp_path / "out.wav")
    assert not result.dithered
    assert np.array_equal(read_int16(tmp_path / "out.wav"), samples)


def test_24bit_option_keeps_24bit_samples_exactly(tmp_path):
    steps = np.random.default_rng(3).integers(-(2**23), 2**23 - 1, (4800, 1), dtype=np.int32)
    source = write(tmp_path / "deep.wav", steps << 8, 48000, "PCM_24")
    result = sp404.convert(source, tmp_path / "out.wav", ExportOptions(bit_depth=24))
    written = sf.read(tmp_path / "out.wav", dtype="int32", always_2d=True)[0] >> 8
    assert sf.info(tmp_path / "out.wav").subtype == "PCM_24"
    assert result.bit_depth == 24
    assert np.array_equal(written, steps)


def test_44100_option_writes_44_1_khz(stereo_96k_24bit, tmp_path):
    sp404.convert(stereo_96k_24bit, tmp_path / "out.wav", ExportOptions(sample_rate=44100))
    info = sf.info(tmp_path / "out.wav")
    assert info.samplerate == 44100
    assert abs(info.frames - round(96777 * 44100 / 96000)) <= 1


def test_aiff_option_writes_16bit_aiff(mono_44k_16bit, tmp_path):
    options = ExportOptions(format="aiff")
    result = sp404.convert(mono_44k_16bit, tmp_path / f"out.{options.extension}", options)
    info = sf.info(tmp_path / "out.aif")
    assert (info.format, info.subtype, info.samplerate) == ("AIFF", "PCM_16", 48000)
    assert sp404.verify(tmp_path / "out.aif", result).ok


def test_mono_option_sums_stereo_to_one_channel(tmp_path):
    source = write(tmp_path / "wide.wav", tone(0.5, 48000, channels=2), 48000, "PCM_16")
    result = sp404.convert(source, tmp_path / "out.wav", ExportOptions(mono=True))
    samples = read_int16(tmp_path / "out.wav")
    assert result.channels == samples.shape[1] == 1
    # Both channels were the same tone, so the average keeps its level.
    assert abs(np.abs(samples).max() / 32768 - 0.5) < 0.001


def test_more_than_two_channels_are_folded_into_stereo(tmp_path):
    surround = np.random.default_rng(4).uniform(-0.2, 0.2, (4800, 6))
    source = write(tmp_path / "surround.wav", surround, 48000, "PCM_24")
    result = sp404.convert(source, tmp_path / "out.wav")
    assert result.channels == sf.info(tmp_path / "out.wav").channels == 2


# Conversion: dither, clipping


def test_24bit_signal_below_one_16bit_step_survives_dither(tmp_path):
    """Plain rounding would turn a 0.4-step sine into silence; TPDF dither keeps it."""
    step = 1 / 32768
    wave = tone(2.0, 48000, amplitude=0.4 * step, frequency=1000)
    source = write(tmp_path / "quiet.wav", wave, 48000, "PCM_24")
    result = sp404.convert(source, tmp_path / "out.wav")
    output = read_int16(tmp_path / "out.wav")[:, 0].astype(np.float64)
    reference = np.sin(2 * np.pi * 1000 * np.arange(len(output)) / 48000)
    recovered_amplitude = 2 * np.mean(output * reference)
    error = output - wave[:, 0] / step
    assert result.dithered
    assert np.count_nonzero(output) > len(output) / 4
    assert abs(recovered_amplitude - 0.4) < 0.03
    assert abs(error.mean()) < 0.02
    assert abs(np.corrcoef(error, wave[:, 0])[0, 1]) < 0.05


def test_float_source_over_full_scale_is_lowered_not_wrapped(hot_float, tmp_path):
    result = sp404.convert(hot_float, tmp_path / "out.wav")
    samples = read_int16(tmp_path / "out.wav")[:, 0]
    assert result.clipped
    assert result.gain_db < -5
    assert any("over full scale" in warning for warning in result.warnings)
    assert samples.max() < 32767 and samples.min() > -32768
    # Wrap-around would flip the sign of the peaks.
    assert samples[1000] == samples.max() > 30000
    assert samples[2000] == samples.min() < -26000


def test_signal_within_full_scale_is_not_reported_clipped(mono_44k_16bit, tmp_path):
    result = sp404.convert(mono_44k_16bit, tmp_path / "out.wav")
    assert not result.clipped
    assert result.gain_db == 0.0


def test_float_nan_samples_become_silence_instead_of_breaking_the_file(tmp_path):
    signal = tone(0.2, 44100).astype(np.float32)
    signal[100:110] = np.nan
    source = write(tmp_path / "nan.wav", signal, 44100, "FLOAT")
    sp404.convert(source, tmp_path / "out.wav")
    assert np.abs(read_int16(tmp_path / "out.wav")).max() < 17000


def test_same_source_and_seed_give_identical_bytes(stereo_96k_24bit, tmp_path):
    sp404.convert(stereo_96k_24bit, tmp_path / "one.wav")
    sp404.convert(stereo_96k_24bit, tmp_path / "two.wav")
    sp404.convert(stereo_96k_24bit, tmp_path / "other.wav", seed=99)
    first = (tmp_path / "one.wav").read_bytes()
    assert first == (tmp_path / "two.wav").read_bytes()
    assert first != (tmp_path / "other.wav").read_bytes()


def test_long_files_streamed_in_blocks_match_files_kept_in_memory(hot_float, tmp_path, monkeypatch):
    options = ExportOptions(sample_rate=44100, trim_silence=True)
    kept = sp404.convert(hot_float, tmp_path / "kept.wav", options, seed=5)
    monkeypatch.setattr(convert_module, "IN_MEMORY_FRAMES", 1000)
    monkeypatch.setattr(convert_module, "BLOCK_FRAMES", 997)
    streamed = sp404.convert(hot_float, tmp_path / "streamed.wav", options, seed=5)
    assert streamed == dataclasses.replace(kept, path=streamed.path)
    assert np.array_equal(read_int16(tmp_path / "kept.wav"), read_int16(tmp_path / "streamed.wav"))


# Conversion: trim, normalise, short and long samples


def test_trim_removes_silence_but_keeps_a_few_ms(tmp_path):
    silence = np.zeros((24000, 1))
    burst = tone(0.3, 48000)
    source = write(tmp_path / "gap.wav", np.concatenate([silence, burst, silence]), 48000, "PCM_16")
    options = ExportOptions(trim_silence=True, trim_keep_ms=5)
    result = sp404.convert(source, tmp_path / "out.wav", options)
    keep = 240
    assert abs(result.frames - (len(burst) + 2 * keep)) <= 2
    assert result.trimmed_frames == 48000 + len(burst) - result.frames


def test_trim_off_keeps_the_silence(tmp_path):
    padded = np.concatenate([np.zeros((4800, 1)), tone(0.2, 48000)])
    source = write(tmp_path / "lead.wav", padded, 48000, "PCM_16")
    assert sp404.convert(source, tmp_path / "out.wav").frames == len(padded)


def test_normalize_brings_the_peak_to_the_target(tmp_path):
    source = write(tmp_path / "soft.wav", tone(0.5, 48000, amplitude=0.25), 48000, "PCM_24")
    options = ExportOptions(normalize=True, normalize_dbfs=-0.3)
    result = sp404.convert(source, tmp_path / "out.wav", options)
    peak = np.abs(read_int16(tmp_path / "out.wav")).max() / 32768
    assert abs(20 * np.log10(peak) - (-0.3)) < 0.01
    assert abs(result.gain_db - (20 * np.log10(10 ** (-0.3 / 20) / 0.25))) < 0.01
    assert not result.clipped


def test_short_sample_gets_a_warning_when_not_padded(tmp_path):
    source = write(tmp_path / "tick.wav", tone(0.05, 44100), 44100, "PCM_16")
    result = sp404.convert(source, tmp_path / "out.wav")
    assert not result.padded
    assert result.frames == 2400
    assert any("100 ms" in warning for warning in result.warnings)


@pytest.mark.parametrize("rate", [48000, 44100])
def test_short_sample_is_padded_to_exactly_100_ms(tmp_path, rate):
    source = write(tmp_path / "tick.wav", tone(0.05, 44100), 44100, "PCM_16")
    options = ExportOptions(pad_short=True, sample_rate=rate)
    result = sp404.convert(source, tmp_path / "out.wav", options)
    assert result.padded
    assert result.frames == sf.info(tmp_path / "out.wav").frames == rate // 10
    assert not any("100 ms" in warning for warning in result.warnings)


def test_sample_over_16_minutes_is_refused_from_the_header(tmp_path, monkeypatch):
    rate = 2000
    long_file = tmp_path / "long.wav"
    with sf.SoundFile(long_file, "w", rate, 1, "PCM_16") as output:
        output.write(np.zeros((rate * (16 * 60 + 1), 1), np.int16))

    def no_decoding(*args, **kwargs):
        raise AssertionError("the audio was decoded")

    monkeypatch.setattr(sf.SoundFile, "read", no_decoding)
    monkeypatch.setattr(sf.SoundFile, "blocks", no_decoding)
    with pytest.raises(sp404.SampleTooLongError, match=r"16:01 long.*at most 16 minutes"):
        sp404.convert(long_file, tmp_path / "out.wav")
    assert not list(tmp_path.glob("out.wav*"))


def test_exactly_16_minutes_is_accepted(tmp_path):
    rate = 1000
    path = write(tmp_path / "limit.wav", np.zeros((rate * 16 * 60, 1), np.int16), rate, "PCM_16")
    assert sp404.inspect_source(path).duration == 16 * 60


def test_sample_too_long_is_a_conversion_error():
    assert issubclass(sp404.SampleTooLongError, sp404.ConversionError)


def test_unreadable_and_empty_files_raise_conversion_errors(tmp_path):
    (tmp_path / "text.wav").write_text("not audio")
    empty = write(tmp_path / "empty.wav", np.zeros((0, 1)), 48000, "PCM_16")
    with pytest.raises(sp404.UnreadableAudioError):
        sp404.convert(tmp_path / "text.wav", tmp_path / "out.wav")
    with pytest.raises(sp404.EmptyAudioError):
        sp404.convert(empty, tmp_path / "out.wav")


def test_a_failed_write_leaves_no_file_behind(mono_44k_16bit, tmp_path, monkeypatch):
    def broken_quantize(*args):
        raise OSError("card removed")

    monkeypatch.setattr(convert_module, "_quantize", broken_quantize)
    with pytest.raises(OSError, match="card removed"):
        sp404.convert(mono_44k_16bit, tmp_path / "out.wav")
    assert not list(tmp_path.glob("out.wav*"))


def test_invalid_options_are_refused():
    with pytest.raises(ValueError, match="sample_rate"):
        ExportOptions(sample_rate=96000)
    with pytest.raises(ValueError, match="bit_depth"):
        ExportOptions(bit_depth=32)


# verify()


def test_verify_accepts_a_good_export(stereo_96k_24bit, tmp_path):
    result = sp404.convert(stereo_96k_24bit, tmp_path / "NOISE 01.wav")
    assert sp404.verify(tmp_path / "NOISE 01.wav", result).ok
    assert sp404.verify(tmp_path / "NOISE 01.wav", ExportOptions(), result.frames).ok


def test_verify_catches_wrong_rate_bit_depth_and_length(mono_44k_16bit, tmp_path):
    sp404.convert(mono_44k_16bit, tmp_path / "out.wav", ExportOptions(sample_rate=44100))
    check = sp404.verify(tmp_path / "out.wav", ExportOptions(bit_depth=24), 48000)
    assert not check.ok
    assert any("44100 Hz" in problem for problem in check.problems)
    assert any("PCM_16" in problem for problem in check.problems)
    assert any("frames" in problem for problem in check.problems)


def test_verify_catches_a_float_file(hot_float):
    check = sp404.verify(hot_float, ExportOptions())
    assert any("FLOAT" in problem for problem in check.problems)


def test_verify_catches_names_the_unit_refuses(mono_44k_16bit, tmp_path):
    for name in ("Café.wav", "A name far too long for the unit.wav", "CON.wav", "kick.aif"):
        result = sp404.convert(mono_44k_16bit, tmp_path / name)
        assert not sp404.verify(tmp_path / name, result).ok, name


def test_verify_checks_the_uppercase_promise(mono_44k_16bit, tmp_path):
    result = sp404.convert(mono_44k_16bit, tmp_path / "Kick.wav")
    check = sp404.verify(tmp_path / "Kick.wav", ExportOptions(uppercase=True), result.frames)
    assert check.problems == ["'Kick.wav' should be in capitals."]


# Naming


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Café Ôle", "Cafe Ole"),
        ("Straße", "Strasse"),
        ("Æther Ørsted Œuvre", "Aether Orsted Oeuvre"),
        ("Łódź đ þorn", "Lodz d thorn"),
        ("Don\N{RIGHT SINGLE QUOTATION MARK}t Stop \N{EM DASH} Vox", "Dont Stop Vox"),
        ("Привет", "Privet"),
        ("Αθήνα", "Athina"),
        ("\uff2b\uff49\uff43\uff4b", "Kick"),  # full-width letters
    ],
)
def test_safe_stem_transliterates_to_ascii(name, expected):
    assert sp404.safe_stem(name) == expected


@pytest.mark.parametrize("name", ["日本語", "中文鼓", "ドラム", "العربية", "", "???", "...."])
def test_names_with_nothing_spellable_get_a_stable_fallback(name):
    stem = sp404.safe_stem(name)
    assert re.fullmatch(r"SMP-[0-9a-f]{4}", stem)
    assert sp404.safe_stem(name) == stem


def test_different_unspellable_names_get_different_fallbacks():
    assert sp404.safe_stem("日本語") != sp404.safe_stem("中文鼓")


def test_unspellable_name_keeps_its_digits_before_the_fallback():
    assert re.fullmatch(r"808 SMP-[0-9a-f]{4}", sp404.safe_stem("808 日本語"))


@pytest.mark.parametrize(
    "name",
    [
        "A very long sample name that goes on and on",
        "SPL_ModernTrap_Kick_Hard_Distorted_Long_Tail_01",
        "Supercalifragilisticexpialidocious",
        "Ünïcödé ñämé wîth àccents everywhere ôn it",
    ],
)
def test_stems_never_exceed_23_characters(name):
    stem = sp404.safe_stem(name)
    assert 0 < len(stem) <= 23
    assert sp404.name_problems(stem + ".wav") == []


def test_noise_words_are_dropped_so_the_distinctive_part_comes_first():
    assert sp404.safe_stem("Sample Pack - One Shot Kick Hard 01") == "Kick Hard 01"
    assert sp404.safe_stem("Kick_Kick_Sample_01") == "Kick 01"


def test_long_names_drop_a_vendor_code_and_keep_the_variant_number():
    stem = sp404.safe_stem("SPL_ModernTrap_Kick_Hard_Distorted_01.wav")
    assert stem == "ModernTrap Kick Hard 01"


def test_caller_noise_such_as_the_pack_name_is_dropped():
    stem = sp404.safe_stem("Modern Trap Vol 2 Snare Crack 07", noise_words=["Modern Trap Vol 2"])
    assert stem == "Snare Crack 07"


def test_short_names_and_meaningful_codes_are_left_alone():
    assert sp404.safe_stem("OS_Kick_01") == "OS Kick 01"
    assert sp404.safe_stem("BD_Long_Boomy_Analog_Kick_04").startswith("BD ")


def test_a_name_made_only_of_noise_is_kept():
    assert sp404.safe_stem("Sample") == "Sample"


def test_illegal_and_control_characters_are_removed():
    stem = sp404.safe_stem('Kick: "Hard" <1>/2\\3|4?*\x00\x07\tX')
    assert not FAT_ILLEGAL & set(stem)
    assert stem.isprintable()
    assert stem == "Kick Hard 1 2 3 4 X"


def test_whitespace_collapses_and_edge_dots_and_spaces_go():
    assert sp404.safe_stem("  ..Kick   \n  Snare..  ") == "Kick Snare"


def test_sharps_are_spelled_out():
    assert sp404.safe_stem("Pad C# minor") == "Pad Cs minor"
    assert sp404.safe_stem("Bass F♯") == "Bass Fs"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("CON", "CON_"), ("nul", "nul_"), ("Com1", "Com1_"), ("LPT9.fx", "LPT9_.fx")],
)
def test_windows_reserved_names_are_avoided(name, expected):
    assert sp404.safe_stem(name) == expected
    assert sp404.name_problems(name + ".wav")


def test_console_is_not_mistaken_for_a_reserved_name():
    assert sp404.safe_stem("Console") == "Console"


def test_uppercase_option():
    assert sp404.safe_stem("Café kick", uppercase=True) == "CAFE KICK"
    assert sp404.safe_stem("日本語", uppercase=True).startswith("SMP-")


def test_unique_name_numbers_collisions_and_records_the_name():
    taken = {"KICK 808.wav"}
    assert sp404.unique_name("KICK 808", "wav", taken) == "KICK 808 2.wav"
    assert sp404.unique_name("KICK 808", ".wav", taken) == "KICK 808 3.wav"
    assert {"KICK 808 2.wav", "KICK 808 3.wav"} <= taken


def test_unique_name_ignores_case_like_fat_does():
    taken = {"kick 808.WAV"}
    assert sp404.unique_name("KICK 808", "wav", taken) == "KICK 808 2.wav"


def test_unique_name_cuts_a_full_length_stem_to_fit_the_suffix():
    taken: set[str] = set()
    stem = "ABCDEFGHIJKLMNOPQRSTUVW"
    names = [sp404.unique_name(stem, "wav", taken) for _ in range(12)]
    assert names[0] == "ABCDEFGHIJKLMNOPQRSTUVW.wav"
    assert names[1] == "ABCDEFGHIJKLMNOPQRSTU 2.wav"
    assert names[11] == "ABCDEFGHIJKLMNOPQRST 12.wav"
    assert len({name.casefold() for name in names}) == 12
    assert all(not sp404.name_problems(name) for name in names)


def test_pad_file_name_counts_the_pad_number_in_the_limit():
    assert sp404.pad_file_name(1, "KICK 808") == "01 KICK 808"
    long_name = sp404.pad_file_name(16, "ABCDEFGHIJKLMNOPQRST UVW")
    assert long_name == "16 ABCDEFGHIJKLMNOPQRST"
    with pytest.raises(ValueError):
        sp404.pad_file_name(17, "KICK")


def test_folder_helpers():
    assert sp404.bpm_range_folder(95) == "090-099 BPM"
    assert sp404.bpm_range_folder(99.6) == "100-109 BPM"
    assert sp404.bpm_range_folder(None) == "Unknown BPM"
    assert sp404.bank_letter(0) == "A" and sp404.bank_letter("j") == "J"
    assert sp404.folder_name("Hip-Hop / Boom Bap") == "Hip-Hop Boom Bap"
    assert sp404.folder_name("Sample Pack") == "Sample Pack"
    with pytest.raises(ValueError):
        sp404.bank_letter("K")


# README pad map


def test_pad_map_is_ascii_with_crlf_lines_in_bank_and_pad_order():
    rows = [
        sp404.PadMapRow("B", 2, "B/02 LOOP.wav", tempo_bpm=92.5, loop=True),
        {"bank": "A", "pad_number": 13, "file_path": "A/13 KICK.wav", "key": "C♯ minor"},
        sp404.PadMapRow("A", 1, "A/01 CHOP.wav", volume=100, pitch_semitones=-2, gate=True),
    ]
    text = sp404.pad_map_text("Café Kit", rows)
    assert text.isascii()
    assert "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")
    assert lines[0] == "SP-404MK2 kit: Cafe Kit"
    files = [line.split()[2] for line in lines if re.match(r"^[A-J] +\d", line)]
    assert files == ["A/01", "A/13", "B/02"]
    chop = next(line for line in lines if "CHOP" in line).split()
    assert chop[4:] == ["-", "-", "100", "-2", "on", "off", "off"]
    assert "C# minor" in text
    assert "92.5" in text


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Dusty Beat Tape Vol. 1 — ドラム", "SP-404MK2 kit: Dusty Beat Tape Vol. 1"),
        ("ドラム / 太鼓", "SP-404MK2 kit"),
    ],
)
def test_pad_map_title_leaves_no_separator_where_letters_had_no_spelling(name, title):
    text = sp404.pad_map_text(name, [sp404.PadMapRow("A", 1, "A/01 KICK.wav")])
    assert text.split("\r\n")[:2] == [title, "=" * len(title)]


def test_pad_map_lists_files_not_on_a_kit_without_bank_or_pad():
    rows = [
        sp404.PadMapRow("", None, "Picks/SNARE.wav", key="A minor"),
        sp404.PadMapRow("", None, "Picks/KICK.wav", tempo_bpm=90),
    ]
    text = sp404.pad_map_text("Picks", rows)
    lines = text.split("\r\n")
    assert lines[0] == "SP-404MK2 samples: Picks"
    header = next(line for line in lines if line.startswith("File"))
    assert header.split() == ["File", "Tempo", "Key"]
    assert "Bank" not in text and " 0 " not in text and "Bank -" not in text
    assert [line.split()[0] for line in lines if line.startswith("Picks/")] == [
        "Picks/KICK.wav",
        "Picks/SNARE.wav",
    ]
    assert "onto a pad of your choice" in text

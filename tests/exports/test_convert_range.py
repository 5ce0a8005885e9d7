"""Converting a slice: a frame range of its parent file, faded at both ends (exports.convert)."""

import dataclasses

import numpy as np
import pytest
import soundfile as sf

from exports import convert as convert_module
from exports import sp404

STEP = 1 / 32768


def write(path, signal, rate, subtype):
    """Write a fixture file and return its path."""
    sf.write(path, signal, rate, subtype=subtype, format="WAV")
    return path


def read_float(path):
    """A written file's samples as float64 full scale, (frames, channels)."""
    return sf.read(path, dtype="float64", always_2d=True)[0]


def raised_cosine(frames):
    """The fade-in the converter promises, sampled at `frames` source frames."""
    return 0.5 - 0.5 * np.cos(np.pi * frames)


@pytest.fixture
def two_tones_44k(tmp_path):
    """2 s of 44.1 kHz stereo: 1 kHz at 0.5 on the left, 1.5 kHz at 0.3 on the right."""
    time = np.arange(2 * 44100) / 44100
    signal = np.stack(
        [0.5 * np.sin(2 * np.pi * 1000 * time), 0.3 * np.sin(2 * np.pi * 1500 * time)], axis=1
    )
    return write(tmp_path / "tones.wav", signal, 44100, "PCM_24")


@pytest.fixture
def level_44k(tmp_path):
    """1 s of a constant 0.5 at 44.1 kHz, so the output's level is the fade's gain."""
    return write(tmp_path / "level.wav", np.full((44100, 1), 0.5), 44100, "PCM_24")


def test_range_of_44k_stereo_becomes_the_matching_48k_slice(two_tones_44k, tmp_path):
    start, end = 12345, 12345 + 30000
    result = sp404.convert(two_tones_44k, tmp_path / "out.wav", frames=(start, end))
    output = read_float(tmp_path / "out.wav")
    assert abs(result.frames - sp404.expected_frames(end - start, 44100, 48000)) <= 2
    assert result.frames == len(output)
    # Where each output frame sits in the source: from the range's start, at 48 kHz.
    time = start / 44100 + np.arange(len(output)) / 48000
    expected = np.stack(
        [0.5 * np.sin(2 * np.pi * 1000 * time), 0.3 * np.sin(2 * np.pi * 1500 * time)], axis=1
    )
    # Away from the resampler's edges, a frame off would be 0.06 off at 1 kHz.
    middle = slice(200, -200)
    assert np.abs(output[middle] - expected[middle]).max() < 0.002


def test_faded_slice_starts_and_ends_near_zero_with_its_middle_untouched(level_44k, tmp_path):
    fade = 441  # 10 ms of source frames: about 480 frames at 48 kHz
    frames = (4410, 4410 + 22050)
    result = sp404.convert(level_44k, tmp_path / "out.wav", frames=frames, fade_frames=fade)
    gain = read_float(tmp_path / "out.wav")[:, 0] / 0.5
    faded = round(fade * 48000 / 44100)
    assert result.dithered
    assert abs(gain[0]) < 0.002 and abs(gain[-1]) < 0.002
    assert np.abs(gain[faded + 50 : -faded - 50] - 1).max() < 3 * STEP / 0.5
    # The fade lasts fade_frames of the source, not of the output, and has its promised shape.
    source_frames = np.arange(faded) * 44100 / 48000 / fade
    assert np.abs(gain[:faded] - raised_cosine(source_frames)).max() < 0.01
    assert np.abs(gain[::-1][:faded] - raised_cosine(source_frames)).max() < 0.01


def test_fade_longer_than_half_the_range_is_shortened_to_half_each_end(tmp_path):
    source = write(tmp_path / "level.wav", np.full((48000, 1), 0.5), 48000, "PCM_24")
    sp404.convert(source, tmp_path / "out.wav", frames=(1000, 2001), fade_frames=5000)
    gain = read_float(tmp_path / "out.wav")[:, 0] / 0.5
    assert len(gain) == 1001
    # Each fade is 500 frames: full level only at the centre, half way up at a quarter.
    assert abs(gain[500] - 1) < 2 * STEP / 0.5
    assert gain[400] < 0.91 and gain[600] < 0.91
    assert abs(gain[250] - 0.5) < 0.01 and abs(gain[750] - 0.5) < 0.01
    assert abs(gain[0]) < 0.002 and abs(gain[-1]) < 0.002


def test_streamed_slice_matches_the_slice_kept_in_memory(two_tones_44k, tmp_path, monkeypatch):
    frames, fade = (5000, 5000 + 40000), 3000
    kept = sp404.convert(two_tones_44k, tmp_path / "kept.wav", frames=frames, fade_frames=fade)
    # Small blocks: each fade spans four of them and the range ends inside one.
    monkeypatch.setattr(convert_module, "IN_MEMORY_FRAMES", 1000)
    monkeypatch.setattr(convert_module, "BLOCK_FRAMES", 997)
    streamed = sp404.convert(
        two_tones_44k, tmp_path / "streamed.wav", frames=frames, fade_frames=fade
    )
    assert streamed == dataclasses.replace(kept, path=streamed.path)
    kept_bytes = (tmp_path / "kept.wav").read_bytes()
    assert kept_bytes == (tmp_path / "streamed.wav").read_bytes()


def test_range_past_the_end_is_cut_at_the_end_and_faded_there(tmp_path):
    signal = np.random.default_rng(7).uniform(-0.5, 0.5, (4800, 2))
    source = write(tmp_path / "short.wav", signal, 48000, "PCM_24")
    result = sp404.convert(source, tmp_path / "out.wav", frames=(3000, 10_000), fade_frames=100)
    output = read_float(tmp_path / "out.wav")
    assert result.frames == len(output) == 1800
    # The fade-out lands on the file's real last frame, not past it.
    assert np.abs(output[-1]).max() < 2 * STEP
    assert np.abs(output[100:-100] - signal[3100:-100]).max() < 2 * STEP


@pytest.mark.parametrize("frames", [(500, 500), (600, 500), (4800, 6000), (9000, 9100)])
def test_empty_range_raises_empty_audio_error(tmp_path, frames):
    source = write(tmp_path / "short.wav", np.full((4800, 1), 0.5), 48000, "PCM_16")
    with pytest.raises(sp404.EmptyAudioError, match=r"slice from frame .* holds no audio"):
        sp404.convert(source, tmp_path / "out.wav", frames=frames)
    assert not list(tmp_path.glob("out.wav*"))


def test_slice_of_a_ready_source_is_bit_exact_unless_faded(tmp_path):
    samples = np.random.default_rng(2).integers(-32768, 32767, (4800, 2), dtype=np.int16)
    source = write(tmp_path / "ready.wav", samples, 48000, "PCM_16")
    result = sp404.convert(source, tmp_path / "out.wav", frames=(1234, 4321))
    written = sf.read(tmp_path / "out.wav", dtype="int16", always_2d=True)[0]
    assert not result.dithered
    assert np.array_equal(written, samples[1234:4321])
    # A fade changes samples, so they are requantised with dither like any other change.
    faded = sp404.convert(source, tmp_path / "faded.wav", frames=(1234, 4321), fade_frames=10)
    assert faded.dithered


def test_only_the_range_is_decoded_once_kept_or_twice_streamed(tmp_path, monkeypatch):
    source = write(tmp_path / "long.wav", np.full((100_000, 1), 0.25), 48000, "PCM_16")
    decoded = []
    real_read = sf.SoundFile.read

    def counting_read(self, *args, **kwargs):
        data = real_read(self, *args, **kwargs)
        decoded.append(len(data))
        return data

    monkeypatch.setattr(sf.SoundFile, "read", counting_read)
    monkeypatch.setattr(convert_module, "IN_MEMORY_FRAMES", 5000)
    monkeypatch.setattr(convert_module, "BLOCK_FRAMES", 8192)
    # The range's length, not the file's, decides: 4000 frames are kept in memory.
    sp404.convert(source, tmp_path / "kept.wav", frames=(50_000, 54_000))
    assert decoded == [4000]
    decoded.clear()
    # 20000 frames are streamed in blocks, once to measure and once to write.
    sp404.convert(source, tmp_path / "streamed.wav", frames=(10_000, 30_000))
    assert decoded == [8192, 8192, 3616] * 2


def test_short_slice_of_a_file_over_16_minutes_converts(tmp_path):
    rate = 2000
    signal = np.zeros((rate * (16 * 60 + 1), 1), np.float32)
    time = np.arange(rate) / rate
    # One second of 100 Hz at 0.5, in the file's last minute.
    signal[rate * 950 : rate * 951, 0] = 0.5 * np.sin(2 * np.pi * 100 * time)
    source = write(tmp_path / "long.wav", signal, rate, "PCM_16")
    with pytest.raises(sp404.SampleTooLongError):
        sp404.convert(source, tmp_path / "whole.wav")
    result = sp404.convert(source, tmp_path / "out.wav", frames=(rate * 950, rate * 951))
    output = read_float(tmp_path / "out.wav")[:, 0]
    assert abs(result.frames - 48000) <= 2
    assert abs(np.abs(output).max() - 0.5) < 0.01
    with pytest.raises(sp404.SampleTooLongError, match=r"The slice of \"long.wav\" is 16:01"):
        sp404.convert(source, tmp_path / "out.wav", frames=(0, rate * (16 * 60 + 1)))


def test_invalid_ranges_and_fades_are_refused(tmp_path):
    source = write(tmp_path / "short.wav", np.full((4800, 1), 0.5), 48000, "PCM_16")
    with pytest.raises(ValueError, match="start"):
        sp404.convert(source, tmp_path / "out.wav", frames=(-1, 100))
    with pytest.raises(ValueError, match="fade_frames"):
        sp404.convert(source, tmp_path / "out.wav", frames=(0, 100), fade_frames=-5)

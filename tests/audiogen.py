"""Synthetic audio with known properties, for tests and benchmarks.

Every generator returns mono float32 samples in [-1, 1] and is deterministic:
randomness comes from a numpy Generator seeded by the ``seed`` argument.
Only numpy and soundfile are used, so fixtures need no other audio library.

Drum one-shots: ``kick``, ``snare``, ``clap``, ``closed_hat``, ``open_hat``, ``tom``.
Tonal sounds: ``note``, ``bass_note``, ``long_808``, ``pad_chord``, ``chord``.
Loops: ``drum_loop``, ``melodic_loop``.  Helpers: ``stereo``, ``write``.
"""

from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

SR = 44100
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
# Harmonic minor: its raised seventh gives the dominant chord a leading tone,
# which is what makes a minor key audible rather than its relative major.
MINOR_STEPS = (0, 2, 3, 5, 7, 8, 11)

SUBTYPE_BY_SUFFIX = {
    ".wav": "PCM_16",
    ".aif": "PCM_16",
    ".aiff": "PCM_16",
    ".flac": "PCM_16",
    ".mp3": "MPEG_LAYER_III",
    ".ogg": "VORBIS",
}
FORMAT_BY_SUFFIX = {
    ".wav": "WAV",
    ".aif": "AIFF",
    ".aiff": "AIFF",
    ".flac": "FLAC",
    ".mp3": "MP3",
    ".ogg": "OGG",
}


def write(path, audio, sr=SR, subtype=None) -> Path:
    """Write audio to path, the format chosen by its suffix; returns the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    subtype = subtype or SUBTYPE_BY_SUFFIX[suffix]
    sf.write(path, np.asarray(audio), sr, format=FORMAT_BY_SUFFIX[suffix], subtype=subtype)
    return path


def stereo(audio, width=0.2, seed=0) -> np.ndarray:
    """Two channels from one: the same sound with a little decorrelated noise."""
    rng = np.random.default_rng(seed)
    side = width * np.abs(audio).max() * 0.05 * rng.standard_normal(audio.shape)
    return np.stack([audio + side, audio - side], axis=1).astype(np.float32)


def silence(seconds, sr=SR) -> np.ndarray:
    return np.zeros(round(seconds * sr), dtype=np.float32)


def midi_to_hz(midi) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12)


def normalize(audio, peak=0.9) -> np.ndarray:
    """Scale to the given peak (silence stays silence)."""
    top = np.abs(audio).max() if audio.size else 0.0
    scaled = audio * (peak / top) if top > 0 else audio
    return scaled.astype(np.float32)


def times(seconds, sr) -> np.ndarray:
    return np.arange(round(seconds * sr)) / sr


def decay(t, seconds) -> np.ndarray:
    """Exponential envelope falling by 60 dB over ``seconds``."""
    return np.exp(-6.91 * t / seconds)


def band_noise(n, sr, low, high, rng) -> np.ndarray:
    """White noise through a second-order band-pass from ``low`` to ``high`` Hz.

    Gentle slopes, as analogue drum circuits and EQs have: no instrument's
    spectrum stops dead at a frequency.
    """
    high = min(high, 0.45 * sr)
    sos = signal.butter(2, (low, high), "bandpass", fs=sr, output="sos")
    noise = signal.sosfilt(sos, rng.standard_normal(n))
    return noise / (np.abs(noise).max() + 1e-12)


def kick(sr=SR, seconds=0.5, start_hz=160.0, end_hz=50.0, seed=1) -> np.ndarray:
    """A kick drum: a sine whose pitch drops fast, with a short beater click."""
    rng = np.random.default_rng(seed)
    t = times(seconds, sr)
    freq = end_hz + (start_hz - end_hz) * np.exp(-t / 0.03)
    body = np.sin(2 * np.pi * np.cumsum(freq) / sr) * decay(t, seconds * 0.9)
    click = band_noise(t.size, sr, 1000, 8000, rng) * decay(t, 0.012) * 0.3
    return normalize(body + click)


def snare(sr=SR, seconds=0.35, seed=2) -> np.ndarray:
    """A snare drum: a short tonal body near 190 Hz under bright wire noise."""
    rng = np.random.default_rng(seed)
    t = times(seconds, sr)
    body = (np.sin(2 * np.pi * 190 * t) + 0.5 * np.sin(2 * np.pi * 330 * t)) * decay(t, 0.12)
    wires = band_noise(t.size, sr, 1500, 12000, rng) * decay(t, seconds * 0.8)
    return normalize(0.7 * body + 0.8 * wires)


def clap(sr=SR, seconds=0.4, seed=3) -> np.ndarray:
    """A hand clap: four quick noise bursts, then a short reverberant decay."""
    rng = np.random.default_rng(seed)
    t = times(seconds, sr)
    noise = band_noise(t.size, sr, 800, 6000, rng)
    envelope = np.zeros_like(t)
    for start in (0.0, 0.011, 0.021, 0.033):
        after = np.clip(t - start, 0, None)
        envelope += np.where(t >= start, decay(after, 0.025), 0.0)
    tail_start = 0.033
    envelope += np.where(t >= tail_start, 0.5 * decay(np.clip(t - tail_start, 0, None), 0.3), 0)
    return normalize(noise * envelope)


def _metal(t, rng) -> np.ndarray:
    """Inharmonic square-wave partials, as in analogue hi-hat circuits."""
    partials = (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)
    phases = rng.uniform(0, 1, len(partials))
    return sum(
        np.sign(np.sin(2 * np.pi * (f * t + p))) for f, p in zip(partials, phases, strict=True)
    )


def _hat(sr, seconds, ring, seed) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = times(seconds, sr)
    metal = _metal(t, rng) / 6
    noise = rng.standard_normal(t.size) * 0.6
    # Keep mostly the bright part, as a hi-hat circuit's filters do.
    sos = signal.butter(2, 6000, "highpass", fs=sr, output="sos")
    bright = signal.sosfilt(sos, metal + noise)
    return normalize(bright * decay(t, ring))


def closed_hat(sr=SR, seconds=0.12, seed=4) -> np.ndarray:
    """A closed hi-hat: bright metallic noise choked within about 60 ms."""
    return _hat(sr, seconds, 0.06, seed)


def dull_hat(sr=SR, seconds=0.12, seed=9) -> np.ndarray:
    """A lo-fi closed hat: its noise kept between 300 Hz and 3 kHz, as a low sample rate leaves it."""
    rng = np.random.default_rng(seed)
    t = times(seconds, sr)
    return normalize(band_noise(t.size, sr, 300.0, 3000.0, rng) * decay(t, 0.03))


def open_hat(sr=SR, seconds=0.8, seed=5) -> np.ndarray:
    """An open hi-hat: the same bright noise ringing for most of a second."""
    return _hat(sr, seconds, 0.7, seed)


def crash(sr=SR, seconds=1.5, seed=8) -> np.ndarray:
    """A crash cymbal: noise over the whole range above 400 Hz, ringing for over a second."""
    rng = np.random.default_rng(seed)
    t = times(seconds, sr)
    sos = signal.butter(2, 400, "highpass", fs=sr, output="sos")
    return normalize(signal.sosfilt(sos, rng.standard_normal(t.size)) * decay(t, 0.8))


def tom(sr=SR, seconds=0.6, pitch_hz=110.0, seed=6) -> np.ndarray:
    """A tom: a pitched membrane with a slight pitch drop and a little noise."""
    rng = np.random.default_rng(seed)
    t = times(seconds, sr)
    freq = pitch_hz * (1 + 0.25 * np.exp(-t / 0.05))
    body = np.sin(2 * np.pi * np.cumsum(freq) / sr) * decay(t, seconds * 0.9)
    stick = band_noise(t.size, sr, 500, 5000, rng) * decay(t, 0.02) * 0.2
    return normalize(body + stick)


def note(midi, seconds, sr=SR, attack=0.005, ring=None, harmonics=8) -> np.ndarray:
    """A harmonic tone (sawtooth-like spectrum) with an attack and a decay."""
    t = times(seconds, sr)
    f0 = midi_to_hz(midi)
    tone = sum(
        np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, harmonics + 1) if f0 * k < sr / 2
    )
    envelope = np.minimum(t / attack, 1.0) if attack > 0 else np.ones_like(t)
    envelope = envelope * (decay(t, ring) if ring else 1.0)
    release = np.minimum((seconds - t) / 0.01, 1.0)
    return (tone * envelope * release).astype(np.float32)


def bright_note(midi, seconds=1.5, sr=SR) -> np.ndarray:
    """A brass- or reed-like note: its third and fifth harmonics as loud as its fundamental."""
    t = times(seconds, sr)
    f0 = midi_to_hz(midi)
    levels = (1.0, 0.5, 1.0, 0.4, 1.2, 0.4)
    tone = sum(level * np.sin(2 * np.pi * f0 * k * t) for k, level in enumerate(levels, 1))
    envelope = np.minimum(t / 0.03, 1.0) * np.minimum((seconds - t) / 0.05, 1.0)
    return normalize(tone * envelope)


def bass_note(midi=33, seconds=1.5, sr=SR) -> np.ndarray:
    """A sustained bass note (A1 by default)."""
    return normalize(note(midi, seconds, sr, attack=0.01, harmonics=5))


def long_808(sr=SR, seconds=5.0, midi=31, seed=7) -> np.ndarray:
    """A long decaying 808 bass: one hit that rings for several seconds."""
    t = times(seconds, sr)
    f0 = midi_to_hz(midi)
    freq = f0 * (1 + 0.5 * np.exp(-t / 0.02))
    body = np.sin(2 * np.pi * np.cumsum(freq) / sr)
    body = np.tanh(2.0 * body) * decay(t, seconds * 1.1)
    return normalize(body)


def triad(root_midi, scale, degree) -> list[int]:
    """MIDI notes of the triad built on a scale degree (0-based)."""
    steps = MAJOR_STEPS if scale == "major" else MINOR_STEPS
    notes = []
    for offset in (0, 2, 4):
        index = degree + offset
        notes.append(root_midi + steps[index % 7] + 12 * (index // 7))
    return notes


def pad_chord(root="C", scale="major", seconds=5.0, sr=SR) -> np.ndarray:
    """A sustained pad chord with a slow attack: one long one-shot hit."""
    root_midi = 60 + PITCH_CLASSES.index(root)
    tones = [note(m, seconds, sr, attack=0.6, harmonics=6) for m in triad(root_midi, scale, 0)]
    return normalize(sum(tones))


def chord(root="C", scale="major", seconds=4.0, sr=SR) -> np.ndarray:
    """A I-IV-V-I (minor: i-iv-V-i) progression with a bass on each chord's root.

    The tonic chord gets half the time so that the key, not its relative, is heard.
    """
    root_midi = 48 + PITCH_CLASSES.index(root)
    plan = ((0, 0.25), (3, 0.125), (4, 0.125), (0, 0.5))
    parts = []
    for degree, share in plan:
        length = seconds * share
        notes = triad(root_midi + 12, scale, degree)
        tones = [note(m, length, sr, attack=0.02, harmonics=6) for m in notes]
        bass = note(triad(root_midi - 12, scale, degree)[0], length, sr, attack=0.02, harmonics=4)
        parts.append(sum(tones) + 0.8 * bass)
    return normalize(np.concatenate(parts))


DRUM_PATTERN = {
    # Sixteenth-note steps of one 4/4 bar.
    "kick": (0, 8, 10),
    "snare": (4, 12),
    "hat": (0, 2, 4, 6, 8, 10, 12, 14),
}


def _place(buffer, sound, start, gain) -> None:
    end = min(buffer.size, start + sound.size)
    if start < end:
        buffer[start:end] += gain * sound[: end - start]


def drum_loop(bpm, bars, sr=SR, tail_seconds=0.0, seed=10) -> np.ndarray:
    """A 4/4 kick, snare and eighth-note hat pattern lasting exactly ``bars`` bars.

    ``tail_seconds`` appends the decay of the last hits, as loops exported with a tail have.
    """
    rng = np.random.default_rng(seed)
    step = 60.0 / bpm / 4
    sounds = {"kick": kick(sr), "snare": snare(sr), "hat": closed_hat(sr)}
    gains = {"kick": 1.0, "snare": 0.8, "hat": 0.25}
    buffer = np.zeros(round((bars * 16 * step + tail_seconds) * sr), dtype=np.float64)
    for bar in range(bars):
        for name, steps in DRUM_PATTERN.items():
            for position in steps:
                start = round((bar * 16 + position) * step * sr)
                gain = gains[name] * rng.uniform(0.85, 1.0)
                _place(buffer, sounds[name], start, gain)
    return normalize(buffer)


def melodic_loop(root="C", scale="minor", bpm=100.0, bars=2, sr=SR, tail_seconds=0.0):
    """A plucked eighth-note arpeggio over a held bass, circling the tonic chord."""
    root_midi = 60 + PITCH_CLASSES.index(root)
    step = 60.0 / bpm / 2
    degrees = (0, 2, 4, 7, 4, 2, 0, 4)
    steps = MAJOR_STEPS if scale == "major" else MINOR_STEPS
    length = round((bars * 8 * step + tail_seconds) * sr)
    buffer = np.zeros(length, dtype=np.float64)
    for index in range(bars * 8):
        degree = degrees[index % len(degrees)]
        midi = root_midi + steps[degree % 7] + 12 * (degree // 7)
        pluck = note(midi, step * 2, sr, attack=0.003, ring=step * 2)
        _place(buffer, pluck, round(index * step * sr), 0.6)
    bass = note(root_midi - 24, bars * 8 * step, sr, attack=0.01, harmonics=4)
    _place(buffer, bass, 0, 0.5)
    return normalize(buffer)


def chord_arpeggio(bpm, degrees=(0, 5, 3, 4), root="D", scale="minor", per_beat=2, sr=SR):
    """An arpeggio up and down each chord of a progression: a chord a bar, ``per_beat`` notes a beat."""
    root_midi = 57 + PITCH_CLASSES.index(root)
    step = 60.0 / bpm / per_beat
    buffer = np.zeros(round(len(degrees) * 4 * per_beat * step * sr), dtype=np.float64)
    for bar, degree in enumerate(degrees):
        low, mid, high = triad(root_midi, scale, degree)
        figure = (low, mid, high, low + 12, high, mid)
        for index in range(4 * per_beat):
            pluck = note(figure[index % len(figure)], step * 2, sr, attack=0.003, ring=step * 2)
            _place(buffer, pluck, round((bar * 4 * per_beat + index) * step * sr), 0.6)
    return normalize(buffer)


def bass_line(bpm, bars, roots=(36, 41, 43, 39), sr=SR, legato=False) -> np.ndarray:
    """A syncopated bass figure, one root per bar: notes on 1, the "a" of 1, the "and" of 2, 3, 4 and its "and".

    Plucked notes of 0.4 beats, or ``legato``: held 0.7 beats without decaying.
    """
    beat = 60.0 / bpm
    figure = ((0, 0), (0.75, 0), (1.5, 12), (2, 7), (3, 0), (3.5, 10))  # (beat, semitones)
    buffer = np.zeros(round(bars * 4 * beat * sr), dtype=np.float64)
    for bar in range(bars):
        root = roots[bar % len(roots)]
        for at, step in figure:
            if legato:
                tone = note(root + step, 0.7 * beat, sr, attack=0.005, harmonics=5)
            else:
                tone = note(root + step, 0.4 * beat, sr, attack=0.004, ring=0.3 * beat, harmonics=6)
            _place(buffer, tone, round((bar * 4 + at) * beat * sr), 0.7)
    return normalize(buffer)


def pattern_loop(bpm, bars, pattern, sr=SR, seed=11, swing=0.0, gains=None, sounds=None):
    """Kick, snare and hat hits on the sixteenth-note steps of one bar, repeated ``bars`` times.

    ``pattern`` maps "kick", "snare", "hat" and "crash" to step strings such
    as ``"x.......x.x....."``: "x" is a hit and "." a rest.  A "crash" plays in
    the first bar only, where a phrase opens.  ``swing`` delays every off-beat
    sixteenth by that share of a step.  ``sounds`` and ``gains`` replace any
    of the sounds and their levels.
    """
    rng = np.random.default_rng(seed)
    step = 60.0 / bpm / 4
    sounds = {
        "kick": kick(sr),
        "snare": snare(sr),
        "hat": closed_hat(sr),
        "crash": crash(sr),
        **(sounds or {}),
    }
    gains = {"kick": 1.0, "snare": 0.8, "hat": 0.25, "crash": 0.9, **(gains or {})}
    buffer = np.zeros(round(bars * 16 * step * sr), dtype=np.float64)
    for bar in range(bars):
        for name, steps in pattern.items():
            if name == "crash" and bar > 0:
                continue
            for position in (index for index, mark in enumerate(steps) if mark == "x"):
                late = swing if position % 2 else 0.0
                start = round((bar * 16 + position + late) * step * sr)
                _place(buffer, sounds[name], start, gains[name] * rng.uniform(0.85, 1.0))
    return normalize(buffer)


def detuned_pad(root="C", scale="minor", seconds=6.0, sr=SR, detune_cents=7.0, seed=12):
    """A held chord of three detuned voices per note: the slow beating of a synth pad or strings."""
    rng = np.random.default_rng(seed)
    root_midi = 48 + PITCH_CLASSES.index(root)
    t = times(seconds, sr)
    voices = []
    for midi in triad(root_midi, scale, 0):
        for cents in (-detune_cents, 0.0, detune_cents):
            f0 = midi_to_hz(midi) * 2 ** (cents / 1200)
            phase = rng.uniform(0, 2 * np.pi)
            voices.append(sum(np.sin(2 * np.pi * f0 * k * t + k * phase) / k for k in range(1, 7)))
    envelope = np.minimum(t / 0.3, 1.0) * np.minimum((seconds - t) / 0.3, 1.0)
    return normalize(sum(voices) * envelope)


def with_tremolo(sound: np.ndarray, hz: float, depth: float, sr=SR) -> np.ndarray:
    """The sound's level swung down by up to ``depth`` (0..1), ``hz`` times a second."""
    swing = 0.5 + 0.5 * np.sin(2 * np.pi * hz * times(sound.size / sr, sr))
    return sound * (1 - depth * swing[: sound.size])


def drone(midi=38, seconds=8.0, sr=SR, seed=13) -> np.ndarray:
    """A low drone with a fifth above, slowly swelling and fading as a bowed string does."""
    t = times(seconds, sr)
    tone = note(midi, seconds, sr, attack=0.8, harmonics=10) + 0.6 * note(
        midi + 7, seconds, sr, attack=1.2, harmonics=8
    )
    swell = 1 + 0.3 * np.sin(2 * np.pi * t / seconds * 1.5 + seed)
    return normalize(tone * swell)


def progression(root="C", scale="major", degrees=(0, 3, 4, 0), seconds=4.0, sr=SR, cents=0.0):
    """Block triads on scale degrees (minor: harmonic), each over its root in the bass.

    ``cents`` detunes every note alike, as a sample recorded off concert pitch is.
    """
    root_midi = 48 + PITCH_CLASSES.index(root) + cents / 100
    length = seconds / len(degrees)
    parts = []
    for degree in degrees:
        notes = triad(root_midi + 12, scale, degree)
        tones = [note(m, length, sr, attack=0.02, harmonics=6) for m in notes]
        bass = note(triad(root_midi - 12, scale, degree)[0], length, sr, attack=0.02, harmonics=4)
        parts.append(sum(tones) + 0.8 * bass)
    return normalize(np.concatenate(parts))


def cluster(seconds=3.0, sr=SR, low_midi=48) -> np.ndarray:
    """All twelve pitch classes at once, held: a sound with no key."""
    return normalize(sum(note(low_midi + step, seconds, sr, attack=0.02) for step in range(12)))

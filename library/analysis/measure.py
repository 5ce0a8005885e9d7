"""Every measurement of the analysis signal, computed from one spectrogram and one envelope."""

import dataclasses
from dataclasses import dataclass

import numpy as np

from library.analysis import loudness, rhythm, spectral, timbre

BURST_WINDOW_SECONDS = 0.06
SETTLE_SECONDS = 0.1
UPPER_BAND_HZ = 150.0  # Above the kick and sub-bass, whose sine bodies read as tonal.
BURST_DIP_DB = 4.0  # Dip between clap bursts; noise flutters by about 1 dB at 3 ms.
# Below this tonal share nothing has a pitch: hi-hats and cymbals stay under 0.1,
# and their chroma is rounding noise (sums around 1e-6) that would count any number.
MIN_PITCHED_SHARE = 0.1


@dataclass(frozen=True)
class Measurements:
    """Descriptors of one sound, all at the analysis rate."""

    duration: float
    silent: bool
    centroid: float
    rolloff: float
    bandwidth: float
    flatness: float
    zero_crossing_rate: float
    band_shares: np.ndarray
    harmonic_ratio: float
    chroma: spectral.PitchClasses
    mfcc_means: np.ndarray
    mfcc_stds: np.ndarray
    envelope: loudness.Envelope
    onsets: rhythm.Onsets
    dominant_hz: float
    settled_hz: float
    upper_harmonic_ratio: float
    pitch_classes: int
    bursts: int
    chroma_band_share: float  # Of the active energy, the share in the chroma's band (50 Hz up).
    timbre: np.ndarray | None = None  # The classifier's vector: see timbre.TIMBRE_NAMES.

    @property
    def onset_rate(self) -> float:
        """Onsets per second; sounds under a second count as one second long.

        Otherwise a single 10 ms hit would read as "100 onsets per second".
        """
        return len(self.onsets.times) / max(self.duration, 1.0)


def measure(signal: np.ndarray, sample_rate: int) -> Measurements:
    """Compute every descriptor of a mono signal at the analysis rate."""
    spec = spectral.spectrogram(signal, sample_rate)
    mel = spectral.mel_power(spec)
    tonal = spectral.tonal_mask(spec)
    shape = spectral.descriptors(spec)
    chroma = spectral.chroma(spec, tonal)
    means, stds = spectral.mfcc_stats(mel, spec)
    envelope = loudness.envelope(signal, sample_rate)
    bright = bright_envelope(signal)
    strength = rhythm.onset_envelope(mel, spectral.mel_frequencies(sample_rate))
    onsets = rhythm.detect_onsets(strength, spec.frame_rate, bright, envelope.frame_seconds)
    harmonic = spectral.harmonic_ratio(spec, tonal)
    sound = Measurements(
        duration=signal.size / sample_rate,
        silent=spec.is_silent,
        centroid=shape["centroid"],
        rolloff=shape["rolloff"],
        bandwidth=shape["bandwidth"],
        flatness=shape["flatness"],
        zero_crossing_rate=zero_crossing_rate(signal, envelope),
        band_shares=spectral.band_shares(spec),
        harmonic_ratio=harmonic,
        chroma=chroma,
        mfcc_means=means,
        mfcc_stds=stds,
        envelope=envelope,
        onsets=onsets,
        dominant_hz=dominant_frequency(spec, spec.active),
        settled_hz=dominant_frequency(spec, settled_frames(spec)),
        upper_harmonic_ratio=spectral.harmonic_ratio(spec, tonal, low_hz=UPPER_BAND_HZ),
        pitch_classes=count_pitch_classes(chroma.overall) if harmonic >= MIN_PITCHED_SHARE else 0,
        bursts=count_bursts(bright, sample_rate),
        chroma_band_share=spectral.share_above(spec, spectral.CHROMA_LOW_HZ),
    )
    return dataclasses.replace(sound, timbre=timbre.describe(sound, spec, mel, tonal, bright))


def zero_crossing_rate(signal: np.ndarray, envelope: loudness.Envelope) -> float:
    """Sign changes per sample over the part of the sound above -50 dB of its peak."""
    loud = np.flatnonzero(envelope.rms >= envelope.rms.max(initial=0) * 10 ** (-50 / 20))
    if loud.size == 0 or signal.size < 2:
        return 0.0
    hop = loudness.ENVELOPE_HOP
    part = signal[loud[0] * hop : (loud[-1] + 1) * hop]
    return float(np.count_nonzero(np.signbit(part[1:]) != np.signbit(part[:-1])) / part.size)


def settled_frames(spec: spectral.Spectrogram) -> np.ndarray:
    """Active frames from 100 ms after the loudest one: where a drum's pitch has settled."""
    energy = np.where(spec.active, spec.power.sum(axis=1), 0.0)
    start = int(energy.argmax()) + int(np.ceil(SETTLE_SECONDS * spec.frame_rate))
    frames = spec.active.copy()
    frames[:start] = False
    return frames if frames.any() else spec.active


def dominant_frequency(spec: spectral.Spectrogram, frames: np.ndarray) -> float:
    """Frequency (Hz) of the strongest peak above 20 Hz of the spectrum summed over frames."""
    summed = spec.power[frames].sum(axis=0)
    usable = spec.freqs >= 20
    if summed.size < 3 or not summed[usable].any():
        return 0.0
    index = int(np.flatnonzero(usable)[summed[usable].argmax()])
    index = min(max(index, 1), summed.size - 2)
    left, mid, right = np.log(summed[index - 1 : index + 2] + 1e-20)
    offset = 0.5 * (left - right) / (left - 2 * mid + right - 1e-12)
    return float((index + np.clip(offset, -0.5, 0.5)) * spec.freqs[1])


def count_pitch_classes(chroma: np.ndarray) -> int:
    """Pitch classes holding at least 40 % of the strongest one: 1 for a note, 3+ for chords."""
    top = chroma.max(initial=0)
    return int(np.count_nonzero(chroma >= spectral.STRONG_CLASS * top)) if top > 0 else 0


def bright_envelope(signal: np.ndarray) -> np.ndarray:
    """Short-time RMS of the signal's first difference.

    The difference tilts the spectrum up by 6 dB per octave, so this envelope
    follows attacks and noise bursts instead of rippling with bass waves.
    """
    return loudness.short_time_rms(np.diff(signal, prepend=np.float32(0.0)))


def count_bursts(rms: np.ndarray, sample_rate: int) -> int:
    """Separate level peaks within the first 60 ms after the attack (a clap has several)."""
    if rms.size < 3 or rms.max() <= 0:
        return 0
    start = int(np.argmax(rms >= 0.1 * rms.max()))
    stop = start + int(BURST_WINDOW_SECONDS * sample_rate / loudness.ENVELOPE_HOP) + 1
    level = 20 * np.log10(rms[start:stop] + 1e-9)
    bursts, trough, peak = 0, np.inf, -np.inf
    rising = True
    for value in level:
        if rising and value < peak - BURST_DIP_DB:
            bursts, trough, rising = bursts + 1, value, False
        elif not rising and value > trough + BURST_DIP_DB:
            peak, rising = value, True
        peak, trough = max(peak, value), min(trough, value)
    return bursts + (1 if rising else 0)

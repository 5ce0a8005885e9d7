"""What an SP-404MK2 export promises: limits, options, errors and result types."""

from dataclasses import dataclass, field

from core.sp404mk2 import MAX_SAMPLE_SECONDS

MAX_SECONDS = MAX_SAMPLE_SECONDS
MIN_MILLISECONDS = 100
SAMPLE_RATES = (48000, 44100)
BIT_DEPTHS = (16, 24)
# Export format -> (libsndfile container, file extension).
FORMATS = {"wav": ("WAV", "wav"), "aiff": ("AIFF", "aif")}
RESAMPLE_QUALITIES = ("HQ", "VHQ")
PCM_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32}


class ConversionError(Exception):
    """A source that cannot become an SP-404MK2 sample; the message is for the musician."""


class UnreadableAudioError(ConversionError):
    """The file is missing or is not audio this converter can decode."""


class EmptyAudioError(ConversionError):
    """The file holds no audio frames at all."""


class SampleTooLongError(ConversionError):
    """The sample is longer than the 16 minutes the SP-404MK2 accepts."""


@dataclass(frozen=True)
class ExportOptions:
    """How to convert: container, rate, depth, channels and optional clean-up."""

    format: str = "wav"
    sample_rate: int = 48000
    bit_depth: int = 16
    mono: bool = False
    trim_silence: bool = False
    normalize: bool = False
    pad_short: bool = False
    uppercase: bool = False
    trim_threshold_dbfs: float = -60.0
    trim_keep_ms: float = 5.0
    normalize_dbfs: float = -0.3
    # None picks HQ for 16-bit output and VHQ (28-bit precision) for 24-bit.
    resample_quality: str | None = None

    def __post_init__(self):
        problems = _option_problems(self)
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def container(self) -> str:
        """The libsndfile container name: "WAV" or "AIFF"."""
        return FORMATS[self.format][0]

    @property
    def extension(self) -> str:
        """The file extension without a dot: "wav" or "aif"."""
        return FORMATS[self.format][1]

    @property
    def subtype(self) -> str:
        """The libsndfile sample encoding: "PCM_16" or "PCM_24"."""
        return f"PCM_{self.bit_depth}"

    @property
    def quality(self) -> str:
        """The soxr quality recipe used when resampling."""
        return self.resample_quality or ("HQ" if self.bit_depth == 16 else "VHQ")


@dataclass(frozen=True)
class SourceInfo:
    """What a source file's header says about it."""

    path: str
    frames: int
    sample_rate: int
    channels: int
    format: str
    subtype: str

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate

    @property
    def pcm_bits(self) -> int | None:
        """Bits per sample for integer PCM; None for float and compressed sources."""
        return PCM_BITS.get(self.subtype)


@dataclass(frozen=True)
class ConversionResult:
    """The file convert() wrote and what happened on the way."""

    path: str
    format: str
    frames: int
    duration: float
    sample_rate: int
    channels: int
    bit_depth: int
    clipped: bool = False
    padded: bool = False
    dithered: bool = False
    trimmed_frames: int = 0
    gain_db: float = 0.0
    warnings: list[str] = field(default_factory=list)
    bytes_written: int = 0


def expected_frames(source_frames: int, source_rate: int, target_rate: int) -> int:
    """How many frames resampling should give; soxr lands within one of this."""
    return round(source_frames * target_rate / source_rate)


def _option_problems(options: ExportOptions) -> list[str]:
    """Why the options cannot be used; empty when they can."""
    checks = [
        (options.format in FORMATS, f"format must be one of {sorted(FORMATS)}"),
        (options.sample_rate in SAMPLE_RATES, f"sample_rate must be one of {SAMPLE_RATES}"),
        (options.bit_depth in BIT_DEPTHS, f"bit_depth must be one of {BIT_DEPTHS}"),
        (options.trim_threshold_dbfs < 0, "trim_threshold_dbfs must be below 0"),
        (options.trim_keep_ms >= 0, "trim_keep_ms must not be negative"),
        (options.normalize_dbfs <= 0, "normalize_dbfs must not be above 0"),
        (
            options.resample_quality in (None, *RESAMPLE_QUALITIES),
            f"resample_quality must be one of {RESAMPLE_QUALITIES}",
        ),
    ]
    return [message for passed, message in checks if not passed]


DEFAULT_OPTIONS = ExportOptions()

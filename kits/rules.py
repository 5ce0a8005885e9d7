"""What the SP-404MK2 and a beatmaker's hands expect of a kit: pure rules, no database."""

from collections import Counter
from dataclasses import dataclass
from statistics import median

from core.sp404mk2 import MAX_SAMPLE_SECONDS, MIN_SAMPLE_SECONDS
from library.music import camelot, scale_pitch_classes, shift_to, signed

MIN_DURATION = MIN_SAMPLE_SECONDS
VOICES = 32
STEREO_VOICE_LIMIT = 24  # warn when a bank's stereo pads alone take more voices than this
TEMPO_TOLERANCE = 0.04  # relative; 4% is about ±4 BPM at 100 BPM
FOLD_LOW, FOLD_HIGH = 70.0, 140.0  # proposed tempi are folded into this range

LOOP_CATEGORIES = ("drum_loop", "melodic_loop", "bass_loop", "vocal_loop")
DRUM_CATEGORIES = (
    "kick", "snare", "clap", "closed_hat", "open_hat", "cymbal", "tom", "percussion", "fx",
)  # fmt: skip


@dataclass(frozen=True)
class Role:
    """What a pad is usually for: its best categories first, acceptable ones second."""

    label: str
    primary: tuple[str, ...]
    secondary: tuple[str, ...] = ()
    loops: bool = False


LOOPS = Role("loop", LOOP_CATEGORIES, loops=True)
CYMBAL_FX = Role("cymbal / fx", ("cymbal", "fx"), ("open_hat", "vocal"))
PERCUSSION = Role("percussion", ("percussion", "clap", "tom"), ("snare", "closed_hat", "fx"))
PAD_ROLES = {
    **dict.fromkeys(range(1, 5), LOOPS),
    **dict.fromkeys(range(5, 9), CYMBAL_FX),
    **dict.fromkeys(range(9, 13), PERCUSSION),
    13: Role("kick", ("kick",), ("tom",)),
    14: Role("snare", ("snare",), ("clap",)),
    15: Role("closed hat", ("closed_hat",), ("percussion",)),
    16: Role("open hat", ("open_hat",), ("cymbal",)),
}


def role_of(pad_number: int) -> Role:
    """The conventional role of a pad (pads 13-16 drums ... 1-4 loops)."""
    return PAD_ROLES[pad_number]


def placements(samples, free: list[tuple[str, int]]) -> list[tuple[tuple[str, int], object]]:
    """(pad, sample) for each sample that fits, in order: the first free pad made for it,
    else one that accepts it, else the first free pad; ``free`` in bank and pad order."""
    free = list(free)
    placed = []
    for sample in samples:
        if not free:
            break
        for secondary in (False, True):
            fitting = [pad for pad in free if _suits(role_of(pad[1]), sample, secondary)]
            if fitting:
                break
        pad = (fitting or free)[0]
        free.remove(pad)
        placed.append((pad, sample))
    return placed


def _suits(role: Role, sample, secondary: bool) -> bool:
    categories = role.secondary if secondary else role.primary
    return sample.category in categories or (
        role.loops and not secondary and is_loop(sample.kind, sample.category)
    )


@dataclass(frozen=True)
class TempoFit:
    """How a loop's tempo sits against the kit's: same, half or double time, and by how much."""

    relation: str  # "same", "half" or "double"
    delta_bpm: float  # at the kit's tempo

    @property
    def label(self) -> str:
        delta = f"±{abs(self.delta_bpm):.0f} BPM" if abs(self.delta_bpm) >= 0.5 else "same BPM"
        return delta if self.relation == "same" else f"{self.relation} time, {delta}"


def tempo_fit(sample_bpm, kit_bpm, tolerance: float = TEMPO_TOLERANCE) -> TempoFit | None:
    """The closest of same/half/double time within the tolerance, or None."""
    if not sample_bpm or not kit_bpm:
        return None
    fits = []
    for relation, factor in (("same", 1.0), ("half", 2.0), ("double", 0.5)):
        delta = sample_bpm * factor - kit_bpm
        if abs(delta) <= kit_bpm * tolerance:
            fits.append(TempoFit(relation, round(delta, 1)))
    return min(fits, key=lambda fit: abs(fit.delta_bpm), default=None)


def key_relation(key: str, scale: str, kit_key: str, kit_scale: str) -> str | None:
    """'same key', 'relative key', 'neighbour key' on the Camelot wheel, or None if they clash."""
    mine, theirs = camelot(key, scale), camelot(kit_key, kit_scale)
    if not mine or not theirs:
        return None
    if mine == theirs:
        return "same key"
    number, letter = int(mine[:-1]), mine[-1]
    kit_number, kit_letter = int(theirs[:-1]), theirs[-1]
    if number == kit_number:
        return "relative key"
    if letter == kit_letter and (number - kit_number) % 12 in (1, 11):
        return "neighbour key"
    return None


@dataclass(frozen=True)
class NoteFit:
    """How a one-shot's note sits in the kit's key, and the pad pitch that tunes it to the tonic."""

    relation: str  # "root note", "in key" or "out of key"
    offset: int  # Semitones for the pad's pitch setting; 0 when it is the root already.
    tonic: str

    @property
    def offset_label(self) -> str:
        """ "tune -3 st to D", with a true minus sign."""
        return f"tune {signed(self.offset)} st to {self.tonic}"


def note_fit(midi: int, kit_key: str, kit_scale: str) -> NoteFit:
    """Where a note sits in the kit's key, and the shift to the nearest tonic."""
    offset = shift_to(midi, kit_key)
    if offset == 0:
        relation = "root note"
    elif midi % 12 in scale_pitch_classes(kit_key, kit_scale or "major"):
        relation = "in key"
    else:
        relation = "out of key"
    return NoteFit(relation, offset, kit_key)


def is_loop(kind: str, category: str) -> bool:
    return kind == "loop" or category in LOOP_CATEGORIES


def pad_warnings(*, duration, kind, category, tempo_bpm, kit_bpm, trashed=False) -> list[str]:
    """Why the unit would refuse or mangle this sample, or why it would not sit in the kit."""
    # A trashed sample keeps its pad (and goes into exports) until the trash is emptied.
    warnings = ["In the trash: it leaves the kit when the trash is emptied"] if trashed else []
    if duration is not None and duration < MIN_DURATION:
        warnings.append("Shorter than 100 ms: the SP-404MK2 may refuse it")
    if duration is not None and duration > MAX_SAMPLE_SECONDS:
        warnings.append(
            f"Longer than {MAX_SAMPLE_SECONDS // 60} minutes: too long for the SP-404MK2"
        )
    if is_loop(kind, category) and tempo_bpm and kit_bpm and not tempo_fit(tempo_bpm, kit_bpm):
        warnings.append(f"{tempo_bpm:.0f} BPM is far from the kit's {kit_bpm:.0f} BPM")
    return warnings


def bank_voice_warning(stereo_pads: int) -> str:
    """A warning when a bank's stereo samples alone would use most of the unit's voices."""
    voices = stereo_pads * 2
    if voices > STEREO_VOICE_LIMIT:
        return f"{stereo_pads} stereo pads would use {voices} of the {VOICES} voices"
    return ""


def fold_tempo(bpm: float, low: float = FOLD_LOW, high: float = FOLD_HIGH) -> float:
    """Halve or double a tempo until it sits in [low, high]."""
    while bpm > high:
        bpm /= 2
    while bpm < low:
        bpm *= 2
    return bpm


def propose_tempo(tempi) -> float | None:
    """The median of the loops' tempi, each folded into the usual range first."""
    folded = [fold_tempo(bpm) for bpm in tempi if bpm]
    return round(median(folded), 1) if folded else None


def propose_key(keys) -> tuple[str, str]:
    """The most common (key, scale) among the loops; ("", "") when none is known."""
    counts = Counter((key, scale) for key, scale in keys if key and scale)
    return counts.most_common(1)[0][0] if counts else ("", "")

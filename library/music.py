"""Musical relationships between keys, for filtering and kit suggestions."""

from library.vocabulary import PITCH_CLASSES

# Camelot wheel: minor keys are "A", major keys "B"; the number follows the
# circle of fifths, so neighbours (±1) are a fifth apart and the same number is
# the relative major/minor.
CAMELOT_MINOR = {"G#": 1, "D#": 2, "A#": 3, "F": 4, "C": 5, "G": 6, "D": 7, "A": 8, "E": 9, "B": 10, "F#": 11, "C#": 12}  # fmt: skip
CAMELOT_MAJOR = {"B": 1, "F#": 2, "C#": 3, "G#": 4, "D#": 5, "A#": 6, "F": 7, "C": 8, "G": 9, "D": 10, "A": 11, "E": 12}  # fmt: skip


def camelot(key: str, scale: str) -> str:
    """'A', 'minor' -> '8A'; '' when the key is unknown."""
    table = CAMELOT_MINOR if scale == "minor" else CAMELOT_MAJOR
    number = table.get(key)
    if number is None or scale not in ("major", "minor"):
        return ""
    return f"{number}{'A' if scale == 'minor' else 'B'}"


def key_of_camelot(code: str) -> tuple[str, str]:
    number, letter = int(code[:-1]), code[-1]
    table = CAMELOT_MINOR if letter == "A" else CAMELOT_MAJOR
    key = next(pitch for pitch, value in table.items() if value == number)
    return key, "minor" if letter == "A" else "major"


def compatible_keys(key: str, scale: str) -> list[tuple[str, str]]:
    """The key itself, its relative major/minor, and the neighbours a fifth either side."""
    code = camelot(key, scale)
    if not code:
        return []
    number, letter = int(code[:-1]), code[-1]
    other = "B" if letter == "A" else "A"
    codes = [
        code,
        f"{number}{other}",
        f"{(number % 12) + 1}{letter}",
        f"{((number - 2) % 12) + 1}{letter}",
    ]
    return [key_of_camelot(entry) for entry in codes]


def semitone_distance(key_a: str, key_b: str) -> int:
    """Smallest distance in semitones between two pitch classes (0-6)."""
    step = abs(PITCH_CLASSES.index(key_a) - PITCH_CLASSES.index(key_b)) % 12
    return min(step, 12 - step)


MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR_STEPS = (0, 2, 3, 5, 7, 8, 10)


def scale_pitch_classes(key: str, scale: str) -> set[int]:
    """Pitch classes (0 = C) of the key's scale; minor is the natural minor."""
    tonic = PITCH_CLASSES.index(key)
    steps = MAJOR_STEPS if scale == "major" else NATURAL_MINOR_STEPS
    return {(tonic + step) % 12 for step in steps}


def shift_to(midi: int, key: str) -> int:
    """Semitones (-6..+5) that take a note to the nearest note of the key's tonic."""
    return (PITCH_CLASSES.index(key) - midi + 6) % 12 - 6


def signed(value: int) -> str:
    """ "+3", "-3" with a true minus sign, "0"."""
    return f"+{value}" if value > 0 else f"\N{MINUS SIGN}{-value}" if value < 0 else "0"

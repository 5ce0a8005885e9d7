"""File and folder names the SP-404MK2 and a FAT-formatted SD card both accept.

Rules (see /work/shared/SP404MK2.md): ASCII only, at most 23 characters in the
stem, unique within a folder ignoring case (FAT is case-insensitive), nothing
Windows refuses, and the distinctive part first because the screen shows about
16 characters.

How a long name is made distinctive, in order (each step only when needed):
1. Clean: transliterate to ASCII, drop the audio extension, turn every character
   that is not a letter, digit, '.', or '-' into a word break, join words with
   single spaces.
2. Drop noise: words such as "Sample", "Pack" or "One Shot", words the caller names
   (for instance the pack name), and a word that repeats the one before it.
   Never drops every word.
3. If the name is still wider than the screen, drop a leading vendor code: 2-5
   capitals joined to the rest by "_" ("SPL_Kick_01"), unless the code means
   something to a musician ("BD", "FX", "UK", ...).
4. If it is still longer than the limit, keep the leading words that fit plus a
   trailing variant number ("01"), since siblings usually differ only there.
"""

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from core.sp404mk2 import BANKS, MAX_NAME_LENGTH, PADS_PER_BANK, SCREEN_LENGTH

MAX_STEM_LENGTH = MAX_NAME_LENGTH
FALLBACK_PREFIX = "SMP-"

_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґўђјљњћџѓќѕ",
        [
            "a", "b", "v", "g", "d", "e", "yo", "zh", "z", "i", "y", "k", "l", "m", "n", "o",
            "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e",
            "yu", "ya", "i", "yi", "ye", "g", "u", "dj", "j", "lj", "nj", "c", "dz", "gj",
            "kj", "dz",
        ],
        strict=True,
    )
)  # fmt: skip
_GREEK = dict(
    zip(
        "αβγδεζηθικλμνξοπρσςτυφχψω",
        [
            "a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o", "p",
            "r", "s", "s", "t", "y", "f", "ch", "ps", "o",
        ],
        strict=True,
    )
)  # fmt: skip
# Latin letters that NFKD leaves as they are.
_LATIN = {
    "ß": "ss", "ẞ": "SS", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "þ": "th",
    "ð": "d", "ħ": "h", "ŧ": "t", "ŋ": "ng",
    "\N{LATIN SMALL LETTER DOTLESS I}": "i",
    "\N{LATIN SMALL LETTER LONG S}": "s",
}  # fmt: skip
# Typographic punctuation, spelled by name because it looks like its ASCII twin.
_PUNCTUATION_BY_ASCII = {
    "'": "\N{LEFT SINGLE QUOTATION MARK}\N{RIGHT SINGLE QUOTATION MARK}"
    "\N{SINGLE LOW-9 QUOTATION MARK}\N{SINGLE HIGH-REVERSED-9 QUOTATION MARK}\N{PRIME}"
    "\N{SINGLE LEFT-POINTING ANGLE QUOTATION MARK}\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}",
    '"': "\N{LEFT DOUBLE QUOTATION MARK}\N{RIGHT DOUBLE QUOTATION MARK}"
    "\N{DOUBLE LOW-9 QUOTATION MARK}\N{LEFT-POINTING DOUBLE ANGLE QUOTATION MARK}"
    "\N{RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK}",
    "-": "\N{HYPHEN}\N{NON-BREAKING HYPHEN}\N{FIGURE DASH}\N{EN DASH}\N{EM DASH}"
    "\N{HORIZONTAL BAR}\N{MINUS SIGN}\N{BULLET}",
    ".": "\N{MIDDLE DOT}",
    "x": "\N{MULTIPLICATION SIGN}",
    "/": "\N{FRACTION SLASH}",
    "#": "\N{MUSIC SHARP SIGN}",
    "b": "\N{MUSIC FLAT SIGN}",
    "": "\N{MUSIC NATURAL SIGN}",
}
_PUNCTUATION = {
    char: spelling for spelling, chars in _PUNCTUATION_BY_ASCII.items() for char in chars
}


def _with_capitals(lower_case: dict[str, str]) -> dict[str, str]:
    """Add the capital form of each letter, spelled with a leading capital."""
    capitals = {letter.upper(): spelling.capitalize() for letter, spelling in lower_case.items()}
    return {**capitals, **lower_case}


_TRANSLITERATION = {
    **_with_capitals(_CYRILLIC),
    **_with_capitals(_GREEK),
    **_with_capitals(_LATIN),
    **_PUNCTUATION,
}

_AUDIO_EXTENSION = re.compile(r"\.(wav|wave|aif|aiff|aifc|mp3|flac|ogg|m4a|caf)$", re.IGNORECASE)
_SHARP = re.compile(r"(?<![A-Za-z])([A-Ga-g])#")
_WORD_BREAK = re.compile(r"[^A-Za-z0-9.\-]+")
_REPEATED_PUNCTUATION = re.compile(r"([.\-])[.\-]+")
_VENDOR_CODE = re.compile(r"^([A-Z]{2,5})_(?=[A-Za-z0-9])")
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(?=\.|$)", re.IGNORECASE)
_SAFE_STEM = re.compile(r"^[A-Za-z0-9_\-][A-Za-z0-9 ._\-]*$")
_VARIANT_NUMBER = re.compile(r"^\d{1,4}$")

_NOISE_PHRASES = (
    ("sample",), ("samples",), ("one", "shot"), ("oneshot",), ("one-shot",), ("1shot",),
    ("1-shot",), ("pack",), ("free",), ("copy",),
)  # fmt: skip
# Capitals that look like a vendor code but tell a musician what the sound is.
_MEANINGFUL_CODES = {
    "BD", "SD", "HH", "OH", "CH", "CP", "CL", "RS", "RIM", "TOM", "CYM", "PERC", "KICK",
    "SNARE", "HAT", "CLAP", "FX", "SFX", "VOX", "BASS", "SUB", "LOOP", "KEYS", "PAD",
    "LEAD", "UK", "US", "EDM", "DNB", "RNB", "LOFI", "BPM",
}  # fmt: skip


def to_ascii(text: str) -> str:
    """Transliterate text to printable ASCII; characters with no Latin spelling vanish."""
    spelled = "".join(_ascii_for(char) for char in unicodedata.normalize("NFC", text))
    # Control characters would break a file name or a line of the README.
    return "".join(char if char.isprintable() else " " for char in spelled)


def _ascii_for(char: str) -> str:
    """The ASCII spelling of one character, or "" when it has none."""
    if char.isascii():
        return char
    if char in _TRANSLITERATION:
        return _TRANSLITERATION[char]
    decomposed = unicodedata.normalize("NFKD", char)
    if decomposed == char:
        return ""
    # NFKD splits "é" into "e" plus a combining accent, and "ﬁ" into "fi".
    return "".join(_ascii_for(part) for part in decomposed if not unicodedata.combining(part))


def safe_stem(
    name: str,
    *,
    max_length: int = MAX_STEM_LENGTH,
    uppercase: bool = False,
    noise_words: Iterable[str] = (),
) -> str:
    """An SP-404MK2-safe file stem for a sample name, distinctive part first."""
    ascii_name = _prepare(name)
    words = _drop_noise(_words(ascii_name), noise_words)
    if len(" ".join(words)) > SCREEN_LENGTH:
        words = _drop_vendor_code(ascii_name, words)
    stem = _fit(words, max_length)
    return _finish(stem, name, max_length=max_length, uppercase=uppercase)


def folder_name(name: str, *, max_length: int = MAX_STEM_LENGTH, uppercase: bool = False) -> str:
    """A safe folder name (export, genre, kit): cleaned like a stem but no words dropped."""
    stem = _fit(_words(_prepare(name)), max_length)
    return _finish(stem, name, max_length=max_length, uppercase=uppercase)


def bpm_range_folder(tempo_bpm: float | None, *, width: int = 10) -> str:
    """The folder for a tempo range, e.g. 95 -> "090-099 BPM"; unknown tempo has its own."""
    if not tempo_bpm or tempo_bpm <= 0:
        return "Unknown BPM"
    low = round(tempo_bpm) // width * width
    return f"{low:03d}-{low + width - 1:03d} BPM"


def bank_letter(bank: str | int) -> str:
    """The bank folder name "A".."J" for a bank letter or a 0-based bank index."""
    letter = BANKS[bank] if isinstance(bank, int) and 0 <= bank < len(BANKS) else str(bank)
    if len(letter) != 1 or letter.upper() not in BANKS:
        raise ValueError(f"The SP-404MK2 has banks A to J, not {bank!r}.")
    return letter.upper()


def pad_file_name(pad_number: int, stem: str, *, max_length: int = MAX_STEM_LENGTH) -> str:
    """A kit file stem that sorts in pad order: "01 KICK 808" (the number counts)."""
    if not 1 <= pad_number <= PADS_PER_BANK:
        raise ValueError(f"Pads are numbered 1 to {PADS_PER_BANK}, not {pad_number}.")
    prefix = f"{pad_number:02d} "
    return prefix + _trim_end(stem[: max_length - len(prefix)])


def unique_name(stem: str, ext: str, taken: set[str]) -> str:
    """A file name not in taken (ignoring case), numbered on collision; records it in taken."""
    extension = "." + ext.lstrip(".")
    folded_taken = {name.casefold() for name in taken}
    candidate = stem + extension
    number = 2
    while candidate.casefold() in folded_taken:
        candidate = numbered_name(stem, number) + extension
        number += 1
    taken.add(candidate)
    return candidate


def numbered_name(stem: str, number: int, *, max_length: int = MAX_STEM_LENGTH) -> str:
    """The stem with " 2", " 3"... at its end, cut so that the whole still fits."""
    suffix = f" {number}"
    return _trim_end(stem[: max_length - len(suffix)]) + suffix


def name_problems(file_name: str, *, max_length: int = MAX_STEM_LENGTH) -> list[str]:
    """What is wrong with a file name for the SP-404MK2; empty when nothing is."""
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    problems = []
    if not file_name.isascii():
        problems.append(f"{file_name!r} has non-ASCII characters; the unit may refuse it.")
    elif not _SAFE_STEM.match(stem) or stem != stem.strip(" .") or "  " in stem:
        problems.append(f"{file_name!r} has characters that are unsafe on the SD card.")
    if len(stem) > max_length:
        problems.append(f"{file_name!r} is longer than {max_length} characters before the dot.")
    if _RESERVED.match(stem):
        problems.append(f"{file_name!r} is a name Windows reserves for devices.")
    return problems


def _prepare(name: str) -> str:
    """ASCII text with the audio extension removed and sharps spelled out."""
    ascii_name = to_ascii(name).replace("&", " and ")
    ascii_name = _AUDIO_EXTENSION.sub("", ascii_name.strip())
    # "C#" is legal on FAT but not among the safe characters: write it "Cs".
    return _SHARP.sub(r"\1s", ascii_name)


def _words(ascii_name: str) -> list[str]:
    """The words of a name, splitting on anything that is not a safe character."""
    # An apostrophe joins ("Don't" -> "Dont") rather than splitting.
    collapsed = _REPEATED_PUNCTUATION.sub(r"\1", ascii_name.replace("'", ""))
    words = _WORD_BREAK.split(collapsed)
    return [word for word in words if word.strip(".-")]


def _drop_noise(words: list[str], noise_words: Iterable[str]) -> list[str]:
    """Words without noise phrases or repeats, never none at all."""
    extra = (tuple(word.casefold() for word in _words(_prepare(phrase))) for phrase in noise_words)
    kept = _drop_phrases(words, [*_NOISE_PHRASES, *(phrase for phrase in extra if phrase)])
    kept = [word for i, word in enumerate(kept) if i == 0 or not _same_word(word, kept[i - 1])]
    return kept or words


def _same_word(word: str, other: str) -> bool:
    """Whether two words are equal ignoring case."""
    return word.casefold() == other.casefold()


def _drop_phrases(words: list[str], phrases: list[tuple[str, ...]]) -> list[str]:
    """Words with every occurrence of the given phrases ("One Shot") removed."""
    kept: list[str] = []
    for word in words:
        kept.append(word)
        for phrase in phrases:
            if tuple(w.casefold() for w in kept[-len(phrase) :]) == phrase:
                del kept[-len(phrase) :]
                break
    return kept


def _drop_vendor_code(ascii_name: str, words: list[str]) -> list[str]:
    """Words without a leading vendor code such as "SPL_", when one is there."""
    match = _VENDOR_CODE.match(ascii_name)
    is_code = match and match.group(1) not in _MEANINGFUL_CODES and words[0] == match.group(1)
    return words[1:] if is_code and len(words) > 1 else words


def _fit(words: list[str], max_length: int) -> str:
    """Leading words that fit in max_length, keeping a trailing variant number."""
    joined = " ".join(words)
    if len(joined) <= max_length or not words:
        return joined
    has_number = len(words) > 1 and _VARIANT_NUMBER.match(words[-1])
    tail = [words[-1]] if has_number else []
    head = words[:-1] if has_number else words
    budget = max_length - sum(len(word) + 1 for word in tail)
    if budget < 1:
        return joined[:max_length]
    kept: list[str] = []
    for word in head:
        if len(" ".join([*kept, word])) > budget:
            break
        kept.append(word)
    # A first word too long to fit is cut rather than lost.
    kept = kept or [head[0][:budget]]
    return " ".join(kept + tail)[:max_length]


def _finish(stem: str, original: str, *, max_length: int, uppercase: bool) -> str:
    """Apply fallback, case, reserved-name and edge rules to a fitted stem."""
    stem = _trim_end(stem.strip(" .-"))
    if not any(char.isalpha() for char in stem) and _lost_letters(original):
        # A name in a script we cannot spell still needs a distinct, stable name.
        fallback = _fallback(original)
        stem = f"{_trim_end(stem[: max_length - len(fallback) - 1])} {fallback}".strip()
    if not any(char.isalnum() for char in stem):
        stem = _fallback(original)
    if uppercase:
        stem = stem.upper()
    return _RESERVED.sub(r"\1_", stem)[:max_length]


def _lost_letters(original: str) -> bool:
    """Whether some letters of the name had no ASCII spelling."""
    return any(char.isalpha() and not _ascii_for(char) for char in original)


def _fallback(original: str) -> str:
    """A stable stand-in such as "SMP-1a2b" for a name with nothing spellable."""
    normalised = unicodedata.normalize("NFC", original).encode("utf-8")
    return FALLBACK_PREFIX + hashlib.blake2b(normalised, digest_size=2).hexdigest()


def _trim_end(stem: str) -> str:
    """A stem without the spaces, dots or dashes a cut may leave at its end."""
    return stem.rstrip(" .-")

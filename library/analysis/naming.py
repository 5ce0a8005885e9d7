"""What a file's name and folders say about the sound: category words and loop hints.

Names are split into whole words (also at camelCase and letter/digit
boundaries), so "BD_01" says kick while "abduct" does not, and "Kicks/" counts
as much as "kick".  The file name speaks first, then folders from the nearest up.
"""

import re
from dataclasses import dataclass

DRUMS = frozenset(
    {"kick", "snare", "clap", "closed_hat", "open_hat", "cymbal", "tom", "percussion"}
)
HATS = frozenset({"closed_hat", "open_hat"})
TONAL = frozenset({"bass", "keys", "pad", "lead"})
LOOPS = frozenset({"drum_loop", "melodic_loop", "bass_loop", "vocal_loop"})

# Word (or two words joined by a space) -> the categories it allows, and how
# much it says: a two-word phrase says more than one of its words ("ride bell"
# over "bell"), and a whole word more than a two- or three-letter code ("Snare
# OH" is a snare from the overhead microphone, not an open hat).
WORDS: dict[str, frozenset[str]] = {}
CODES: dict[str, frozenset[str]] = {}
PHRASE, WORD, CODE = 3, 2, 1


def _say(categories, *words) -> None:
    for word in words:
        WORDS[word] = frozenset(categories)


def _code(categories, *codes) -> None:
    for code in codes:
        CODES[code] = frozenset(categories)


_say({"kick"}, "kick", "kik", "kck", "bassdrum", "bass drum", "kickdrum", "kick drum")
_say({"snare"}, "snare", "snr", "snaredrum", "snare drum", "rimshot", "rim shot", "snare rim")
_say({"clap"}, "clap", "clp", "handclap", "hand clap", "snap", "snaps", "fingersnap")
_say({"closed_hat"}, "closed hat", "closed hh", "closedhat", "closed hihat", "pedal hat")
_say({"closed_hat"}, "pedal hihat", "pedal hh", "foot hat", "hat pedal", "hh pedal", "hihat pedal")
_say({"closed_hat"}, "hat closed", "hh closed", "hihat closed", "hat foot", "hihat foot")
_say({"open_hat"}, "open hat", "open hh", "openhat", "open hihat", "hat open", "hh open")
_say({"open_hat"}, "hihat open", "half open")
_say(HATS, "hat", "hihat", "hi hat", "hihats", "hatz")
_say({"cymbal"}, "cymbal", "crash", "ride", "china", "splash", "ride bell", "bell ride")
_say({"tom"}, "tom", "toms", "tomtom", "floortom", "floor tom", "rack tom", "racktom")
_say({"snare", "percussion"}, "rim")
_say({"percussion"}, "perc", "percussion", "shaker", "conga", "bongo", "tamb", "tambourine")
_say({"percussion"}, "tambo", "tamborine", "tombourine", "cowbell", "cow bell", "clave")
_say({"percussion"}, "claves", "woodblock", "wood block", "triangle", "guiro", "cabasa")
_say({"percussion"}, "timbale", "agogo", "djembe", "tabla", "cajon", "maraca", "maracas")
_say({"percussion"}, "cuica", "vibraslap", "belltree", "bell tree", "castanet", "castanets")
_say({"percussion"}, "sidestick", "side stick", "crossstick", "cross stick", "stick", "sticks")
_say({"percussion"}, "block", "egg", "udu", "darbuka", "surdo")
_say({"bass"}, "bass", "sub", "subbass", "sub bass", "reese", "bassline")
_say({"keys"}, "keys", "piano", "rhodes", "wurli", "wurlitzer", "organ", "epiano", "chord")
_say({"keys"}, "chords", "stab", "bell", "bells", "mallet", "marimba", "vibes", "guitar", "gtr")
_say({"keys"}, "pizzicato", "pizz", "harp", "harpsichord", "clav", "celesta", "xylophone")
_say({"pad"}, "pad", "strings", "drone", "atmosphere", "atmos", "ambient")
_say({"lead"}, "lead", "pluck", "brass", "horn", "sax", "flute", "whistle", "arp")
_say({"lead"}, "trumpet", "violin", "cello")
_say({"lead", "pad", "keys", "bass"}, "synth", "melody", "melodic", "riff", "hook")
_say({"vocal"}, "vox", "vocal", "voice", "acapella", "chant", "choir", "adlib")
_say({"fx"}, "fx", "sfx", "riser", "uplifter", "downlifter", "sweep", "impact", "noise")
_say({"fx"}, "whoosh", "transition", "reverse", "foley", "glitch", "zap", "laser", "texture")
_say(DRUMS | {"drum_loop"}, "drum", "drums", "beat", "break", "breakbeat", "top", "groove")
_say(DRUMS | {"drum_loop"}, "percloop", "drumloop")
# Drum machines' abbreviations (TR-808 and TR-909 panels, sample packs).
_code({"kick"}, "bd", "kd")
_code({"snare"}, "sd", "sn")
_code({"snare", "percussion"}, "rs")
_code({"clap"}, "cp")
_code(HATS, "hh")
_code({"closed_hat"}, "ch", "chh", "hhc", "cl hh")
_code({"open_hat"}, "oh", "ohh", "hho")
_code({"cymbal"}, "cy", "cym", "cr", "rd")
_code({"tom"}, "tm", "lt", "mt", "ht")
_code({"percussion"}, "cb")
# With a hat and nothing narrower, these words say which one.
OPEN_WORDS = frozenset({"open", "opened", "op", "o", "half"})
CLOSED_WORDS = frozenset({"closed", "close", "cl", "c", "pedal", "foot", "ped", "tight", "chick"})

LOOP_WORDS = frozenset({"loop", "loops", "bpm"})
ONE_SHOT_WORDS = frozenset({"one shot", "oneshot", "one shots", "oneshots", "hit", "hits", "shot"})
# Plural folders ("Kicks", "Snares", "Boxes") mean the same as the singular.
PLURAL_ENDINGS = ("s", "es")
LOOP_OF = {
    "drum_loop": DRUMS | {"drum_loop"},
    "bass_loop": {"bass"},
    "vocal_loop": {"vocal"},
    "melodic_loop": TONAL - {"bass"},
}


@dataclass(frozen=True)
class NameHints:
    """Categories the name allows (empty: it says nothing) and its loop / one-shot hint.

    ``file_categories`` are those the file's own name allowed before its
    folders narrowed them ("hat 2.wav" in "Open Hats": both hats, then the open one).
    """

    categories: frozenset[str]
    kind: str | None
    file_categories: frozenset[str] = frozenset()

    @property
    def from_file_name(self) -> bool:
        return bool(self.file_categories)


def words(text: str) -> list[str]:
    """Lower-case words of a name, split at punctuation, camelCase and digits."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ", text)
    return [word for word in re.split(r"[^a-z0-9#]+", spaced.lower()) if word]


def _singulars(phrase: str) -> list[str]:
    """The phrase and what it would be without a plural ending."""
    forms = [phrase]
    for ending in PLURAL_ENDINGS:
        if phrase.endswith(ending) and phrase[-len(ending) - 1 : -len(ending)].isalpha():
            forms.append(phrase[: -len(ending)])
    return forms


def _phrases(tokens: list[str]) -> list[tuple[str, bool]]:
    """Each word and each pair of neighbours (spaced and joined), with their singulars.

    Each phrase comes with whether it is a pair.
    """
    found = []
    for index, token in enumerate(tokens):
        found += [(form, False) for form in _singulars(token)]
        if index + 1 < len(tokens):
            pair = (token, tokens[index + 1])
            joined = _singulars(" ".join(pair)) + _singulars("".join(pair))
            found += [(form, True) for form in joined]
    return found


def _matches(phrases: list[tuple[str, bool]]) -> list[tuple[int, frozenset[str]]]:
    found = []
    for phrase, is_pair in phrases:
        if phrase in WORDS:
            found.append((PHRASE if is_pair or " " in phrase else WORD, WORDS[phrase]))
        elif phrase in CODES:
            found.append((CODE, CODES[phrase]))
    return found


def _categories_in(phrases: list[tuple[str, bool]]) -> frozenset[str]:
    # The most telling kind of match speaks, and among those a specific
    # category beats a family ("kick" in "Drums/Kick").
    matches = _matches(phrases)
    if not matches:
        return frozenset()
    strongest = max(strength for strength, _ in matches)
    matches = [found for strength, found in matches if strength == strongest]
    narrowest = min(len(match) for match in matches)
    found = frozenset().union(*(match for match in matches if len(match) == narrowest))
    return _which_hat(found, {phrase for phrase, is_pair in phrases if not is_pair})


def _which_hat(found: frozenset[str], tokens: set[str]) -> frozenset[str]:
    if found != HATS:
        return found
    if tokens & OPEN_WORDS:
        return frozenset({"open_hat"})
    if tokens & CLOSED_WORDS:
        return frozenset({"closed_hat"})
    return found


def _kind_in(phrases: list[tuple[str, bool]]) -> str | None:
    if any(phrase in ONE_SHOT_WORDS for phrase, _ in phrases):
        return "one-shot"
    if any(phrase in LOOP_WORDS or "loop" in phrase for phrase, _ in phrases):
        return "loop"
    return None


def read_name(name: str, folder: str = "") -> NameHints:
    """Category and kind hints from a file name and its folder path."""
    stem = re.sub(r"\.[A-Za-z0-9]{2,4}$", "", name)
    levels = [stem, *reversed([part for part in re.split(r"[\\/]", folder) if part])]
    categories, kind, from_file = frozenset(), None, frozenset()
    for depth, level in enumerate(levels):
        phrases = _phrases(words(level))
        kind = kind or _kind_in(phrases)
        found = _categories_in(phrases)
        if depth == 0:
            from_file = found
        if found and (not categories or len(found) < len(categories)):
            categories = (found & categories if categories else found) or categories
    return NameHints(categories, kind, from_file)

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

# Word (or two words joined by a space) -> the categories it allows.
WORDS: dict[str, frozenset[str]] = {}


def _say(categories, *words) -> None:
    for word in words:
        WORDS[word] = frozenset(categories)


_say({"kick"}, "kick", "kik", "kck", "bd", "bassdrum", "bass drum", "kickdrum")
_say({"snare"}, "snare", "snr", "sd", "snaredrum", "rimshot snare")
_say({"clap"}, "clap", "clp", "handclap", "snap", "snaps", "fingersnap")
_say({"closed_hat"}, "chh", "closed hat", "closed hh", "closedhat", "closed hihat", "hhc")
_say({"open_hat"}, "ohh", "open hat", "open hh", "openhat", "open hihat", "hho")
_say(HATS, "hat", "hh", "hihat", "hi hat", "hihats")
_say({"cymbal"}, "cymbal", "cym", "crash", "ride", "china", "splash")
_say({"tom"}, "tom", "floortom", "floor tom", "rack tom")
_say({"percussion"}, "perc", "percussion", "shaker", "conga", "bongo", "tamb", "tambourine")
_say({"percussion"}, "cowbell", "clave", "rim", "rimshot", "woodblock", "triangle")
_say({"percussion"}, "guiro", "cabasa", "timbale", "agogo", "djembe", "tabla", "cajon")
_say({"bass"}, "bass", "sub", "subbass", "sub bass", "reese", "bassline")
_say({"kick", "bass"}, "808", "boom")
_say({"keys"}, "keys", "piano", "rhodes", "wurli", "wurlitzer", "organ", "epiano", "chord")
_say({"keys"}, "chords", "stab", "bell", "bells", "mallet", "marimba", "vibes", "guitar", "gtr")
_say({"pad"}, "pad", "strings", "drone", "atmosphere", "atmos", "ambient")
_say({"lead"}, "lead", "pluck", "brass", "horn", "sax", "flute", "whistle", "arp")
_say({"lead", "pad", "keys", "bass"}, "synth", "melody", "melodic", "riff", "hook")
_say({"vocal"}, "vox", "vocal", "voice", "acapella", "chant", "choir", "adlib")
_say({"fx"}, "fx", "sfx", "riser", "uplifter", "downlifter", "sweep", "impact", "noise")
_say({"fx"}, "whoosh", "transition", "reverse", "foley", "glitch", "zap", "laser", "texture")
_say(DRUMS | {"drum_loop"}, "drum", "drums", "beat", "break", "breakbeat", "top", "groove")
_say(DRUMS | {"drum_loop"}, "percloop", "drumloop", "kit")

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
    """Categories the name allows (empty: it says nothing) and its loop / one-shot hint."""

    categories: frozenset[str]
    kind: str | None
    from_file_name: bool


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


def _phrases(tokens: list[str]) -> list[str]:
    """Each word and each pair of neighbours (spaced and joined), with their singulars."""
    found = []
    for index, token in enumerate(tokens):
        found += _singulars(token)
        if index + 1 < len(tokens):
            pair = (token, tokens[index + 1])
            found += _singulars(" ".join(pair)) + _singulars("".join(pair))
    return found


def _categories_in(phrases: list[str]) -> frozenset[str]:
    # Two-word phrases are more specific than their words ("open hat" over "hat"),
    # and a specific category beats a family ("kick" in "Drums/Kick").
    matches = [WORDS[phrase] for phrase in phrases if phrase in WORDS]
    if not matches:
        return frozenset()
    narrowest = min(len(match) for match in matches)
    return frozenset().union(*(match for match in matches if len(match) == narrowest))


def _kind_in(phrases: list[str]) -> str | None:
    if any(phrase in ONE_SHOT_WORDS for phrase in phrases):
        return "one-shot"
    if any(phrase in LOOP_WORDS for phrase in phrases) or any("loop" in p for p in phrases):
        return "loop"
    return None


def read_name(name: str, folder: str = "") -> NameHints:
    """Category and kind hints from a file name and its folder path."""
    stem = re.sub(r"\.[A-Za-z0-9]{2,4}$", "", name)
    levels = [stem, *reversed([part for part in re.split(r"[\\/]", folder) if part])]
    categories, kind, from_file = frozenset(), None, False
    for depth, level in enumerate(levels):
        phrases = _phrases(words(level))
        kind = kind or _kind_in(phrases)
        found = _categories_in(phrases)
        if found and (not categories or len(found) < len(categories)):
            narrowed = found & categories if categories else found
            categories, from_file = narrowed or categories, from_file or depth == 0
    return NameHints(categories, kind, from_file)


def loop_category(categories: frozenset[str]) -> str | None:
    """The loop category a set of instrument categories points to, if only one."""
    matches = {loop for loop, members in LOOP_OF.items() if categories & members}
    return matches.pop() if len(matches) == 1 else None

"""Words shared by the models, the analysis engine and the exports.

Kept free of Django and heavy imports so that any layer may use them.
"""

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
SCALES = ("major", "minor")


def note_name(midi: int) -> str:
    """ "A1", "C#4" for a MIDI note number: scientific pitch notation, middle C is C4."""
    return f"{PITCH_CLASSES[midi % 12]}{midi // 12 - 1}"


# Instrument categories, one-shot sounds first, then loop types.
CATEGORY_LABELS = {
    "kick": "Kick",
    "snare": "Snare",
    "clap": "Clap",
    "closed_hat": "Closed hat",
    "open_hat": "Open hat",
    "cymbal": "Cymbal",
    "tom": "Tom",
    "percussion": "Percussion",
    "bass": "Bass",
    "keys": "Keys / chords",
    "pad": "Pad",
    "lead": "Lead",
    "vocal": "Vocal",
    "fx": "FX",
    "drum_loop": "Drum loop",
    "melodic_loop": "Melodic loop",
    "bass_loop": "Bass loop",
    "vocal_loop": "Vocal loop",
    "other": "Other",
}
CATEGORIES = tuple(CATEGORY_LABELS)

AUDIO_FORMATS = ("wav", "aiff", "flac", "mp3", "ogg")

"""What the SP-404MK2 takes: the facts kits, exports and the library all respect.

Pure Python with no Django, so the export package can use it as the app does.
The sources and how sure they are: /work/shared/SP404MK2.md.
"""

BANKS = "ABCDEFGHIJ"  # Ten banks; F-J share their buttons with A-E.
PADS_PER_BANK = 16
MAX_NAME_LENGTH = 23  # Characters of a sample's name on the unit.
SCREEN_LENGTH = 16  # Characters the screen shows of a name at once.
MAX_SAMPLE_SECONDS = 16 * 60  # The longest sample the unit takes.
MIN_SAMPLE_SECONDS = 0.1  # Shorter files may fail to import on the unit.
MAX_PAD_VOLUME = 127
PAD_PITCH_RANGE = 12  # Semitones either way.

# Tempos the app keeps for samples and kits: wider than any loop's, so a slow
# drone's 30 BPM or a fast break's 340 is kept rather than refused.
MIN_TEMPO_BPM = 20
MAX_TEMPO_BPM = 400


def is_pad(bank: str, pad_number: int) -> bool:
    """Whether bank and pad name one of the unit's 160 pads."""
    return len(bank) == 1 and bank in BANKS and 1 <= pad_number <= PADS_PER_BANK


def in_tempo_range(bpm: float) -> bool:
    return MIN_TEMPO_BPM <= bpm <= MAX_TEMPO_BPM

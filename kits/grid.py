"""A kit laid out as the unit shows it: banks of sixteen pads, with counts and warnings."""

from dataclasses import dataclass, field

from core.sp404mk2 import BANKS, PADS_PER_BANK
from kits import rules
from kits.models import KitPad


@dataclass
class Slot:
    """One pad position, empty or holding a KitPad."""

    bank: str
    number: int
    pad: KitPad | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def dom_id(self) -> str:
        return f"pad-{self.bank}-{self.number}"

    @property
    def role(self) -> rules.Role:
        return rules.role_of(self.number)

    @property
    def sample(self):
        return self.pad.sample if self.pad else None


class KitLayout:
    """Every pad of a kit, loaded in one query, grouped for the page."""

    def __init__(self, kit, pads):
        self.kit = kit
        self.pads = {(pad.bank, pad.pad_number): pad for pad in pads}

    @classmethod
    def of(cls, kit) -> "KitLayout":
        pads = kit.pads.select_related("sample").defer("sample__search_text")
        return cls(kit, list(pads))

    def slot(self, bank: str, number: int) -> Slot:
        pad = self.pads.get((bank, number))
        warnings = pad.warnings(self.kit.tempo_bpm) if pad else []
        return Slot(bank, number, pad, warnings)

    def slots(self, bank: str) -> list[Slot]:
        """The bank's sixteen pads in pad order: rows of four, 1-4 on top as on the unit."""
        return [self.slot(bank, number) for number in range(1, PADS_PER_BANK + 1)]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(BANKS, 0)
        for bank, _number in self.pads:
            counts[bank] += 1
        return counts

    def voice_warnings(self) -> dict[str, str]:
        """Banks whose stereo samples alone would use most of the unit's 32 voices."""
        stereo = dict.fromkeys(BANKS, 0)
        for (bank, _number), pad in self.pads.items():
            stereo[bank] += pad.is_stereo
        warnings = {bank: rules.bank_voice_warning(count) for bank, count in stereo.items()}
        return {bank: text for bank, text in warnings.items() if text}

    def warning_count(self) -> int:
        tempo = self.kit.tempo_bpm
        return sum(len(pad.warnings(tempo)) for pad in self.pads.values())

    @property
    def total(self) -> int:
        return len(self.pads)

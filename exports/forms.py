from django import forms

from core.sp404mk2 import BANKS
from exports.models import Export
from exports.planning import ExportRefused, allowed_roots, checked_folder


class ExportForm(forms.ModelForm):
    """How to export: format, names, organisation and where the files go."""

    banks = forms.MultipleChoiceField(
        choices=[(bank, bank) for bank in BANKS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every bank the kit uses.",
    )
    # Choices rather than free numbers: a rate or depth the unit cannot take is refused by name.
    sample_rate = forms.TypedChoiceField(
        label="Sample rate",
        choices=[(48000, "48 kHz (the unit's own rate)"), (44100, "44.1 kHz")],
        coerce=int,
        initial=48000,
    )
    bit_depth = forms.TypedChoiceField(
        choices=[(16, "16-bit (the unit's own depth)"), (24, "24-bit")], coerce=int, initial=16
    )

    class Meta:
        model = Export
        fields = [
            "name", "format", "sample_rate", "bit_depth", "mono", "trim_silence", "normalize",
            "pad_short", "uppercase", "organisation", "destination", "output_path", "project",
        ]  # fmt: skip
        labels = {
            "project": "Also as an SP-404MK2 project (experimental)",
            "mono": "Mono",
            "trim_silence": "Trim silence",
            "normalize": "Normalise",
            "pad_short": "Lengthen very short samples",
            "uppercase": "Uppercase names",
            "output_path": "Folder on this computer",
        }
        help_texts = {
            "mono": "Stereo files are summed to one channel: half the space on the card.",
            "trim_silence": "Silence before and after the sound is cut.",
            "normalize": "Each file's peak is raised or lowered to the same level.",
            "pad_short": "Silence is added to samples under 100 ms, which the unit may refuse "
            "to import. Left off, they are only flagged.",
            "uppercase": "KICK 808.WAV, as the unit's own screens spell names.",
            "project": "Writes EXPORT/PROJECT/<kit> with every pad already assigned (name, "
            "volume, pitch, gate, loop, reverse, a loop's BPM, chop marks) beside the usual "
            "IMPORT/<kit> files, at 48 kHz / 16-bit and untrimmed. Generated projects have not "
            "been confirmed on a unit yet: back up the card and your projects first. Into a "
            "folder, choose the card's root.",
        }

    def __init__(self, *args, used_banks: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if used_banks is not None:
            # A kit's empty banks have nothing to export.
            self.fields["banks"].choices = [(bank, bank) for bank in BANKS if bank in used_banks]
        if not allowed_roots():
            # Only ZIPs can work; say once how folder exports are switched on.
            del self.fields["output_path"]
            destination = self.fields["destination"]
            destination.choices = [(Export.Destination.ZIP, Export.Destination.ZIP.label)]
            destination.help_text = (
                "To write straight into a folder such as an SD card, set SP404_EXPORT_ROOTS "
                "to the folders allowed and restart the app."
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("project"):
            # What a project holds: the unit's own format, untrimmed (chop marks stay
            # where they were set), files in bank folders named by pad.
            cleaned.update(sample_rate=48000, bit_depth=16, trim_silence=False, organisation="kit")
        return cleaned

    def clean_output_path(self):
        path = self.cleaned_data.get("output_path", "").strip()
        if self.cleaned_data.get("destination") != Export.Destination.FOLDER:
            return ""
        if not path:
            raise forms.ValidationError(
                "Choose the folder to write into, such as the SD card's IMPORT folder."
            )
        try:
            return str(checked_folder(path))
        except ExportRefused as refusal:
            raise forms.ValidationError(str(refusal)) from None

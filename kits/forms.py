"""Kit forms: the kit's own fields, and the pad operations a page or htmx posts."""

from django import forms

from core import sp404mk2 as unit
from kits.models import Kit, KitPad
from library.models import Sample

BANK_CHOICES = [(bank, bank) for bank in unit.BANKS]


class KitForm(forms.ModelForm):
    """Name, description, sharing, tempo and key of a kit."""

    class Meta:
        model = Kit
        fields = ["name", "description", "is_shared", "tempo_bpm", "key", "scale"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {"is_shared": "Share read-only with the other users", "tempo_bpm": "Tempo (BPM)"}

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.fields["tempo_bpm"].widget.attrs.update(
            min=unit.MIN_TEMPO_BPM, max=unit.MAX_TEMPO_BPM, step="any"
        )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = Kit.objects.owned_by(self.owner).filter(name=name).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError("You already have a kit with this name.")
        return name


class SlotForm(forms.Form):
    """One pad: a bank letter and a pad number."""

    bank = forms.ChoiceField(choices=BANK_CHOICES)
    pad_number = forms.IntegerField(min_value=1, max_value=unit.PADS_PER_BANK)


class AssignForm(SlotForm):
    """A sample of the kit owner's library for one pad."""

    sample = forms.ModelChoiceField(queryset=Sample.objects.none())
    # The pad pitch a suggestion proposes, to tune a note to the kit's key.
    pitch = forms.IntegerField(
        required=False, min_value=-unit.PAD_PITCH_RANGE, max_value=unit.PAD_PITCH_RANGE
    )

    def __init__(self, *args, kit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sample"].queryset = Sample.objects.owned_by(kit.owner_id).alive()
        self.fields["sample"].error_messages["invalid_choice"] = (
            "That sample is not in the kit owner's library."
        )


class MoveForm(SlotForm):
    """Move (or swap) the pad at from_bank/from_pad to bank/pad_number."""

    from_bank = forms.ChoiceField(choices=BANK_CHOICES)
    from_pad = forms.IntegerField(min_value=1, max_value=unit.PADS_PER_BANK)


class PadOptionsForm(forms.ModelForm):
    """Volume, pitch and the unit's import options, recorded only."""

    volume = forms.IntegerField(min_value=0, max_value=unit.MAX_PAD_VOLUME)
    pitch = forms.IntegerField(
        min_value=-unit.PAD_PITCH_RANGE, max_value=unit.PAD_PITCH_RANGE, label="Pitch (st)"
    )

    class Meta:
        model = KitPad
        fields = ["volume", "pitch", "gate", "loop", "reverse"]


class FillForm(forms.Form):
    """The pads of a proposed bank fill the user kept: pad_<n> = sample id."""

    def __init__(self, *args, kit, **kwargs):
        super().__init__(*args, **kwargs)
        samples = Sample.objects.owned_by(kit.owner_id).alive()
        for pad_number in range(1, unit.PADS_PER_BANK + 1):
            self.fields[f"pad_{pad_number}"] = forms.ModelChoiceField(
                queryset=samples, required=False
            )
            self.fields[f"tune_{pad_number}"] = forms.IntegerField(
                required=False, min_value=-unit.PAD_PITCH_RANGE, max_value=unit.PAD_PITCH_RANGE
            )

    def chosen(self) -> dict:
        """{pad number: (sample, pad pitch in semitones)} for the pads kept."""
        data = self.cleaned_data
        return {
            number: (data[f"pad_{number}"], data.get(f"tune_{number}") or 0)
            for number in range(1, unit.PADS_PER_BANK + 1)
            if data.get(f"pad_{number}") is not None
        }

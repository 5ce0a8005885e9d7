from django import forms

from core.sp404mk2 import MAX_TEMPO_BPM, MIN_TEMPO_BPM
from library import chops
from library.models import Sample, Tag


class SampleEditForm(forms.ModelForm):
    """A sample's hand-editable facts; corrected values are marked as the user's."""

    class Meta:
        model = Sample
        fields = ["name", "genre", "description", "tempo_bpm", "key", "scale", "category", "kind"]
        labels = {"tempo_bpm": "BPM", "kind": "Type"}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tempo_bpm"].widget.attrs.update(
            min=MIN_TEMPO_BPM, max=MAX_TEMPO_BPM, step="any"
        )

    def save(self, commit=True):
        sample = super().save(commit=False)
        corrected = {
            field: getattr(sample, field)
            for field in self.changed_data
            if field in Sample.USER_FIELDS
        }
        sample.set_by_user(**corrected)
        if commit:
            sample.save()
        return sample


class TagForm(forms.Form):
    name = forms.CharField(max_length=64, label="Tag")

    def clean_name(self):
        name = Tag.clean_name(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError("Give the tag a name.")
        return name


MAX_ID = 2**63 - 1  # The largest primary key either database stores.


def given_id(value: str) -> int | None:
    """The whole number a primary key can be that ``value`` spells, else None."""
    # isascii: "²" is a digit to str.isdigit() but not to int().
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def posted_ids(values) -> list[int]:
    """The ids among posted values: whole numbers a primary key can be, others dropped."""
    return [number for number in map(given_id, values) if number is not None]


class ChopForm(forms.Form):
    """How to cut a loop: at its transients, in equal parts, on its beats, by hand, or not at all."""

    MODES = [
        ("transients", "At transients"),
        ("parts", "Equal parts"),
        ("beats", "Every beat"),
        ("half-beats", "Every half beat"),
        ("hand", "By hand"),
        ("clear", "No slices"),
    ]
    mode = forms.ChoiceField(choices=MODES)
    parts = forms.TypedChoiceField(
        choices=[(count, count) for count in chops.DIVISIONS], coerce=int, required=False
    )
    level = forms.ChoiceField(
        choices=[(level, level.capitalize()) for level in chops.TRANSIENT_LEVELS], required=False
    )
    cuts = forms.CharField(required=False, help_text="Frames to cut at, separated by commas.")
    snap = forms.BooleanField(required=False, label="Snap to zero crossings")

    def clean_cuts(self):
        text = self.cleaned_data["cuts"]
        try:
            cuts = [int(part) for part in text.replace(" ", "").split(",") if part]
        except ValueError:
            raise forms.ValidationError("Cuts are frame numbers separated by commas.") from None
        if len(cuts) > chops.MAX_SLICES * 4:
            raise forms.ValidationError("Too many cuts.")
        return cuts

    def cuts_for(self, loop, frames: int) -> list[int] | None:
        """Where to cut this loop, or None with an error added to the form."""
        mode = self.cleaned_data["mode"]
        features = getattr(loop, "features", None)
        if mode == "transients":
            if features is None or (not features.onset_times and features.analysis_version < 4):
                self.add_error(None, "Its transients are not known yet: analyse the loop again.")
                return None
            level = self.cleaned_data["level"] or "medium"
            return chops.at_transients(features.onset_times, loop.sample_rate, frames, level)
        if mode == "parts":
            return chops.equal_parts(frames, self.cleaned_data["parts"] or 4)
        if mode in {"beats", "half-beats"}:
            if not loop.tempo_bpm:
                self.add_error(None, "The loop has no tempo: set its BPM to cut on its beats.")
                return None
            per_beat = 2 if mode == "half-beats" else 1
            return chops.on_beats(frames, loop.sample_rate, loop.tempo_bpm, per_beat)
        return self.cleaned_data["cuts"] if mode == "hand" else []


class SoundSearchForm(forms.Form):
    """A sound to find the library's nearest samples to: a dropped file or a recording."""

    MAX_BYTES = 50 * 1024 * 1024
    clip = forms.FileField(label="A sound to search with")

    def clean_clip(self):
        clip = self.cleaned_data["clip"]
        if clip.size > self.MAX_BYTES:
            raise forms.ValidationError(
                f"That file is {clip.size // (1024 * 1024)} MB; a sound to search with can be "
                f"at most {self.MAX_BYTES // (1024 * 1024)} MB (its first 30 seconds are compared)."
            )
        return clip

from django import forms

from core.sp404mk2 import MAX_TEMPO_BPM, MIN_TEMPO_BPM
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


def posted_ids(values) -> list[int]:
    """The ids among posted values: whole numbers a primary key can be, others dropped."""
    # isascii: "²" is a digit to str.isdigit() but not to int().
    digits = (value for value in values if value.isascii() and value.isdigit())
    return [number for number in map(int, digits) if 0 < number <= MAX_ID]

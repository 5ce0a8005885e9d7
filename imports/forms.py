"""What the import pages accept: a link, and the browser's upload in parts."""

from django import forms
from django.utils.text import Truncator

MAX_FILES_PER_UPLOAD = 100_000


class UrlImportForm(forms.Form):
    url = forms.URLField(
        label="Link to an audio file or ZIP",
        max_length=2048,
        assume_scheme="https",
        error_messages={"invalid": "Enter a full link starting with http:// or https://."},
    )


class UploadStartForm(forms.Form):
    """The browser announces an upload: a name, how many files and how many bytes."""

    name = forms.CharField(max_length=255, required=False)
    file_count = forms.IntegerField(
        min_value=1,
        max_value=MAX_FILES_PER_UPLOAD,
        error_messages={
            "required": "No audio files or ZIP archives were chosen.",
            "min_value": "No audio files or ZIP archives were chosen.",
        },
    )
    total_bytes = forms.IntegerField(min_value=0)

    def clean_name(self):
        """The batch's name as its list shows it: the folder's, shortened, or "Upload"."""
        return Truncator(self.cleaned_data["name"] or "Upload").chars(80)


class UploadFileForm(forms.Form):
    """One file of an upload: where it sat in the folder the user chose."""

    path = forms.CharField(max_length=1024, required=False)


def first_error(form) -> str:
    """The form's first complaint."""
    return next(iter(form.errors.values()))[0]

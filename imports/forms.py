"""What the import pages accept: a link, and the browser's upload in parts."""

import re

from django import forms
from django.utils.text import Truncator

MAX_FILES_PER_UPLOAD = 100_000
BATCH_NAME_CHARS = 80
# The count a batch's name ends with ("kick.wav and 12 more", "Pack (40 files)")
# outlives shortening: it is what tells the batches apart.
COUNT_AT_END = re.compile(r"(?: and \d+ more| \(\d+ files\))$")


def batch_name(name: str) -> str:
    """A batch's name as its list shows it: shortened, keeping the count at its end."""
    count = COUNT_AT_END.search(name)
    tail = count.group() if count else ""
    head = name[: len(name) - len(tail)] or "Upload"
    return Truncator(head).chars(BATCH_NAME_CHARS - len(tail)) + tail


class UrlImportForm(forms.Form):
    url = forms.URLField(
        label="Link to an audio file or ZIP",
        max_length=2048,
        assume_scheme="https",
        error_messages={"invalid": "Enter a full link starting with http:// or https://."},
    )


class UploadStartForm(forms.Form):
    """The browser announces an upload: a name, how many files and how many bytes."""

    # A single file is named by its path, which may be long: shortened, not refused.
    name = forms.CharField(max_length=4096, required=False)
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
        return batch_name(self.cleaned_data["name"] or "Upload")


class UploadFileForm(forms.Form):
    """One file of an upload: where it sat in the folder the user chose."""

    path = forms.CharField(max_length=1024, required=False)


def first_error(form) -> str:
    """The form's first complaint."""
    return next(iter(form.errors.values()))[0]

from django import forms


class UrlImportForm(forms.Form):
    url = forms.URLField(
        label="Link to an audio file or ZIP",
        max_length=2048,
        assume_scheme="https",
        error_messages={"invalid": "Enter a full link starting with http:// or https://."},
    )

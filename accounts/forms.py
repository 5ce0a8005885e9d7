from django import forms
from django.contrib.auth.forms import UserCreationForm

from core import setup_code


class FirstAccountForm(UserCreationForm):
    """The first account of an installation: it becomes staff and superuser.

    Only whoever can see the server's terminal knows the setup code it printed.
    """

    setup_code = forms.CharField(
        label="Setup code",
        max_length=20,
        help_text="The six digits printed in the terminal where the app was started.",
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )

    field_order = ["setup_code", "username", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.pop("autofocus", None)  # The code comes first.

    def clean_setup_code(self):
        if not setup_code.matches(self.cleaned_data["setup_code"]):
            raise forms.ValidationError(
                "That is not the setup code. Look in the terminal running the app."
            )
        return ""

    def save(self, commit=True):
        user = super().save(commit=False)
        user.is_staff = True
        user.is_superuser = True
        if commit:
            user.save()
        return user

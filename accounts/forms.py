from django.contrib.auth.forms import UserCreationForm


class FirstAccountForm(UserCreationForm):
    """The first account of an installation: it becomes staff and superuser."""

    def save(self, commit=True):
        user = super().save(commit=False)
        user.is_staff = True
        user.is_superuser = True
        if commit:
            user.save()
        return user

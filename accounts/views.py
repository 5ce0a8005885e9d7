"""First-run setup; login, logout and password change come from django.contrib.auth."""

from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from accounts.forms import FirstAccountForm
from core import setup_code
from core.models import SitePreferences


@login_not_required
@require_http_methods(["GET", "POST"])
def setup(request):
    """Create the installation's first (staff) account; gone once any account exists."""
    if get_user_model().objects.exists():
        raise Http404("Setup is complete.")
    setup_code.issue()
    form = FirstAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            # Lock the preferences row so two simultaneous setups cannot both
            # create a first account.
            SitePreferences.load()
            SitePreferences.objects.select_for_update().get()
            if get_user_model().objects.exists():
                raise Http404("Setup is complete.")
            user = form.save()
        setup_code.forget()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("library:index")
    return TemplateResponse(request, "accounts/setup.html", {"form": form})

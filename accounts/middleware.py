"""Send every request to first-run setup until the first account exists."""

from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.urls import reverse


class FirstRunMiddleware:
    """Redirect to the setup page while the installation has no users.

    Signed-in visitors prove an account exists; for others the check is one
    EXISTS query, not cached, so an installation whose accounts were all
    removed offers setup again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            return self.get_response(request)
        exempt = (reverse("accounts:setup"), "/static/")
        if not request.path.startswith(exempt) and not get_user_model().objects.exists():
            return redirect("accounts:setup")
        return self.get_response(request)

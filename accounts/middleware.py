"""Send every request to first-run setup until the first account exists."""

from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.urls import reverse


class FirstRunMiddleware:
    """Redirect to the setup page while the installation has no users."""

    def __init__(self, get_response):
        self.get_response = get_response
        # Once an account exists the check never needs the database again.
        self.has_users = False

    def __call__(self, request):
        if not self.has_users:
            self.has_users = get_user_model().objects.exists()
            exempt = (reverse("accounts:setup"), "/static/")
            if not self.has_users and not request.path.startswith(exempt):
                return redirect("accounts:setup")
        return self.get_response(request)

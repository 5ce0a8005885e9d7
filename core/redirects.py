"""Sending the user back where an action came from, never off the site."""

from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request, default: str) -> str:
    """The form's `next` when it points into this site, else `default`."""
    target = request.POST.get("next") or ""
    if any(ord(character) < 32 for character in target):  # No header may carry these.
        return default
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and safe else default

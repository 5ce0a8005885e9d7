"""What the kit pages share: the user's own kit, and a kit page's address."""

from django.shortcuts import get_object_or_404
from django.urls import reverse

from kits.models import Kit


def kit_url(kit, bank="A", pad=None) -> str:
    url = f"{reverse('kits:kit_detail', args=[kit.pk])}?bank={bank}"
    return f"{url}&pad={pad}" if pad else url


def owned_kit(request, pk) -> Kit:
    """The user's own kit: others (even when it is shared with them) get a 404 for writes."""
    return get_object_or_404(Kit.objects.owned_by(request.user), pk=pk)

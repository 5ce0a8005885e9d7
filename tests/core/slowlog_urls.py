"""The site's URLs and a view whose one query is enormous."""

from django.http import HttpResponse
from django.urls import path

from kits.models import Kit
from sp404site.urls import urlpatterns as site_urlpatterns

HUGE_NAME = "x" * 50_000


def huge_query(request):
    """One query with 5,000 placeholders and a 50,000-character parameter."""
    names = [HUGE_NAME, *(f"kit{number}" for number in range(5000))]
    found = Kit.objects.filter(name__in=names).exists()
    return HttpResponse(str(found))


urlpatterns = [*site_urlpatterns, path("huge-query/", huge_query)]

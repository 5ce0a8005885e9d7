"""The site's URLs and a view that fails."""

from django.urls import path

from sp404site.urls import urlpatterns as site_urlpatterns


def broken(request):
    raise RuntimeError("A bug in a view.")


urlpatterns = [*site_urlpatterns, path("broken/", broken)]

"""Top-level URL wiring."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

admin.site.site_header = "sp404site admin"
admin.site.site_title = "sp404site"
admin.site.index_title = "Preferences, costs and data"

urlpatterns = [
    path("", include("library.urls")),
    path("", include("imports.urls")),
    path("", include("vibe.urls")),
    path("", include("core.urls")),
    path("kits/", include("kits.urls")),
    path("exports/", include("exports.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    # For pages without the icon link (the admin) and clients that only try this path.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.svg"))),
]

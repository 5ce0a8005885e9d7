"""Top-level URL wiring."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "sp404site admin"
admin.site.site_title = "sp404site"
admin.site.index_title = "Preferences, costs and data"

urlpatterns = [
    path("", include("library.urls")),
    path("kits/", include("kits.urls")),
    path("exports/", include("exports.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]

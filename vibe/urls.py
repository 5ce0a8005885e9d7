from django.urls import path

from vibe import views

app_name = "vibe"

urlpatterns = [
    path("samples/<int:pk>/vibe/", views.describe, name="describe_vibe"),
    path("samples/<int:pk>/vibe/status/", views.vibe_status, name="vibe_status"),
    path("usage/", views.usage, name="usage"),
]

from django.urls import path

from core import views

app_name = "core"

urlpatterns = [
    path("slow-log/", views.slow_log, name="slow_log"),
]

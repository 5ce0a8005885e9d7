from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.export_detail, name="export_detail"),
]

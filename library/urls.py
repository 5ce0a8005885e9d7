from django.urls import path

from library import views

app_name = "library"

urlpatterns = [
    path("", views.index, name="index"),
    path("samples/<int:pk>/", views.sample_detail, name="sample_detail"),
    path("imports/", views.batch_list, name="batch_list"),
    path("imports/<int:pk>/", views.batch_detail, name="batch_detail"),
]

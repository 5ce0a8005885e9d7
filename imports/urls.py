from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("imports/", views.batch_list, name="batch_list"),
    path("imports/upload/", views.upload, name="upload"),
    path("imports/start/", views.upload_start, name="upload_start"),
    path("imports/link/", views.import_link, name="import_link"),
    path("imports/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("imports/<int:pk>/files/", views.upload_file, name="upload_file"),
    path("imports/<int:pk>/finish/", views.upload_finish, name="upload_finish"),
]

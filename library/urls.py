from django.urls import path

from library import import_views, views

app_name = "library"

urlpatterns = [
    path("", views.index, name="index"),
    path("samples/<int:pk>/", views.sample_detail, name="sample_detail"),
    path("samples/<int:pk>/row/", views.sample_row, name="sample_row"),
    path("imports/", import_views.batch_list, name="batch_list"),
    path("imports/upload/", import_views.upload, name="upload"),
    path("imports/start/", import_views.upload_start, name="upload_start"),
    path("imports/link/", import_views.import_link, name="import_link"),
    path("imports/<int:pk>/", import_views.batch_detail, name="batch_detail"),
    path("imports/<int:pk>/files/", import_views.upload_file, name="upload_file"),
    path("imports/<int:pk>/finish/", import_views.upload_finish, name="upload_finish"),
]

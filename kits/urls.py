from django.urls import path

from kits import pad_views, views

app_name = "kits"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("send-slices/", pad_views.send_slices, name="send_slices"),
    path("<int:pk>/", views.kit_detail, name="kit_detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/propose/", views.propose, name="propose"),
    path("<int:pk>/copy/", views.copy, name="copy"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/pads/assign/", pad_views.assign, name="assign"),
    path("<int:pk>/pads/move/", pad_views.move, name="move"),
    path("<int:pk>/pads/clear/", pad_views.clear, name="clear"),
    path("<int:pk>/pads/<str:bank>/<int:pad_number>/", pad_views.options, name="pad_options"),
    path("<int:pk>/fill/", pad_views.fill, name="fill"),
]

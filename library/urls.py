from django.urls import path

from library import chop_views, organise_views, sample_views, sound_views, views

app_name = "library"

urlpatterns = [
    path("", views.index, name="index"),
    path("samples/bulk/", organise_views.bulk, name="bulk"),
    path("samples/<int:pk>/", sample_views.sample_detail, name="sample_detail"),
    path("samples/<int:pk>/row/", views.sample_row, name="sample_row"),
    path("samples/<int:pk>/similar/", views.similar, name="similar"),
    path("samples/<int:pk>/chop/", chop_views.chop, name="chop"),
    path("sound-search/", sound_views.sound_search, name="sound_search"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/scan/", views.scan_duplicates, name="scan_duplicates"),
    path("samples/<int:pk>/audio/", sample_views.audio, name="audio"),
    path("samples/<int:pk>/download/", sample_views.download, name="download"),
    path("samples/<int:pk>/stretched/", sample_views.stretched, name="stretched"),
    path("samples/<int:pk>/played/", sample_views.played, name="played"),
    path("samples/<int:pk>/tags/", sample_views.add_tag, name="add_tag"),
    path("samples/<int:pk>/tags/<int:tag_pk>/remove/", sample_views.remove_tag, name="remove_tag"),
    path("samples/<int:pk>/tempo/", sample_views.set_tempo, name="set_tempo"),
    path("samples/<int:pk>/relabel/", sample_views.relabel, name="relabel"),
    path("samples/<int:pk>/analyze/", sample_views.reanalyze, name="reanalyze"),
    path("samples/<int:pk>/favorite/", sample_views.favorite, name="favorite"),
    path("samples/<int:pk>/rate/", sample_views.rate, name="rate"),
    path("samples/<int:pk>/trash/", sample_views.trash, name="trash_sample"),
    path("samples/<int:pk>/restore/", sample_views.restore, name="restore"),
    path("trash/", organise_views.trash_list, name="trash"),
    path("trash/empty/", organise_views.empty_trash, name="empty_trash"),
    path("tags/", organise_views.tag_list, name="tags"),
    path("tags/<int:pk>/rename/", organise_views.rename_tag, name="rename_tag"),
    path("tags/<int:pk>/delete/", organise_views.delete_tag, name="delete_tag"),
]

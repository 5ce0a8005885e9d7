"""Import through the browser: the JavaScript protocol, the plain form, links, batch pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.models import Batch, BatchItem
from library.models import Sample
from tests.files import wav_bytes, zip_bytes

pytestmark = pytest.mark.django_db


def wav_upload(name="kick.wav", hz=330.0):
    return SimpleUploadedFile(name, wav_bytes(0.3, hz), content_type="audio/wav")


def test_plain_form_upload_imports_every_file_then_shows_the_batch(client_for, user):
    client = client_for(user)
    response = client.post(
        reverse("imports:upload"),
        {
            "files": [
                wav_upload("a.wav", 200),
                wav_upload("b.wav", 300),
                SimpleUploadedFile("c.wav", b"nope"),
            ]
        },
    )
    batch = Batch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:batch_detail", args=[batch.pk])
    assert (batch.status, batch.imported_count, batch.failed_count) == ("completed", 2, 1)
    assert batch.name == "a.wav and 2 more"
    page = client.get(response["Location"])
    assert b"c.wav" in page.content
    assert b"Failed" in page.content


def test_an_upload_of_nothing_but_broken_files_failed(client_for, user):
    client = client_for(user)
    client.post(
        reverse("imports:upload"),
        {"files": [SimpleUploadedFile("a.wav", b"nope"), SimpleUploadedFile("b.zip", b"nor this")]},
    )
    batch = Batch.objects.get()
    assert (batch.status, batch.failed_count, batch.error) == ("failed", 2, "")
    assert "Failed" in client.get(reverse("imports:batch_list")).content.decode()


def test_plain_form_upload_without_files_explains(client_for, user):
    response = client_for(user).post(reverse("imports:upload"), {}, follow=True)
    assert b"Choose one or more audio files" in response.content
    assert not Batch.objects.exists()


def test_javascript_upload_protocol(client_for, user):
    client = client_for(user)
    start = client.post(
        reverse("imports:upload_start"),
        {"file_count": 2, "total_bytes": 100_000, "name": "2 files"},
    ).json()
    batch_id = start["batch"]
    first = client.post(
        reverse("imports:upload_file", args=[batch_id]),
        {"file": wav_upload("kick.wav"), "path": "My Pack/Drums/kick.wav"},
    ).json()
    assert first["items"] == [
        {"path": "My Pack/Drums/kick.wav", "status": "imported", "label": "Imported", "message": ""}
    ]
    sample = Sample.objects.get()
    assert sample.source_path == "My Pack/Drums"
    assert f'id="sample-{sample.pk}"' in first["rows"]
    assert "hx-trigger" in first["rows"]  # the new row polls until analysed
    archive = SimpleUploadedFile(
        "loops.zip", zip_bytes({"a.wav": wav_bytes(0.3, 111), "b.wav": wav_bytes(0.3, 222)})
    )
    second = client.post(
        reverse("imports:upload_file", args=[batch_id]), {"file": archive, "path": "loops.zip"}
    ).json()
    assert [item["status"] for item in second["items"]] == ["imported", "imported"]
    summary = client.post(reverse("imports:upload_finish", args=[batch_id])).json()
    assert (summary["status"], summary["imported"], summary["failed"]) == ("completed", 3, 0)
    batch = Batch.objects.get()
    assert batch.total_files == batch.processed_files == 3


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("x" * 300 + ".wav and 41 more", "x" * 67 + "… and 41 more"),
        ("Deep " * 30 + "(12 files)", ("Deep " * 30)[:68] + "… (12 files)"),
        ("Pack/" * 300 + "kick.wav", ("Pack/" * 300)[:79] + "…"),
        ("", "Upload"),
    ],
)
def test_a_long_upload_name_is_shortened_and_keeps_its_count(client_for, user, sent, kept):
    start = client_for(user).post(
        reverse("imports:upload_start"), {"file_count": 42, "total_bytes": 1000, "name": sent}
    )
    assert start.status_code == 200
    assert Batch.objects.get(pk=start.json()["batch"]).name == kept


def test_plain_form_upload_of_long_names_keeps_the_count(client_for, user):
    long_name = "Very Long Field Recording Of A Rainy Afternoon In The Old Harbour Take 12.wav"
    client_for(user).post(
        reverse("imports:upload"), {"files": [wav_upload(long_name), wav_upload("b.wav")]}
    )
    name = Batch.objects.get().name
    assert name.endswith("… and 1 more") and len(name) == 80


def test_upload_start_refuses_when_the_disk_is_full(client_for, user, settings):
    settings.MIN_FREE_DISK_MB = 10**9
    response = client_for(user).post(
        reverse("imports:upload_start"), {"file_count": 1, "total_bytes": 1000}
    )
    assert response.status_code == 400
    assert "Not enough free disk space" in response.json()["error"]
    assert not Batch.objects.exists()


def test_uploading_into_another_users_batch_is_404(client_for, user, other_user):
    batch = Batch.objects.create(owner=user, name="x", source="upload", total_files=1)
    response = client_for(other_user).post(
        reverse("imports:upload_file", args=[batch.pk]), {"file": wav_upload()}
    )
    assert response.status_code == 404
    assert not Sample.objects.exists()


def test_link_form_queues_a_batch(client_for, user, django_capture_on_commit_callbacks):
    client = client_for(user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("imports:import_link"), {"url": "https://example.com/p.zip"})
    batch = Batch.objects.get()
    assert batch.source == Batch.Source.URL
    assert batch.source_url == "https://example.com/p.zip"
    assert response["Location"] == reverse("imports:batch_detail", args=[batch.pk])
    assert len(callbacks) == 1  # the download is queued once the batch is committed


def test_link_form_rejects_nonsense(client_for, user):
    response = client_for(user).post(
        reverse("imports:import_link"), {"url": "not a link"}, follow=True
    )
    assert b"Enter a full link" in response.content
    assert not Batch.objects.exists()


def test_batch_progress_partial_polls_until_finished(client_for, user):
    client = client_for(user)
    batch = Batch.objects.create(
        owner=user, name="x", source="folder", status="running", total_files=4, processed_files=1
    )
    url = reverse("imports:batch_detail", args=[batch.pk])
    headers = {"HX-Request": "true", "HX-Target": "batch-progress"}
    running = client.get(url, headers=headers)
    assert running.status_code == 200
    assert b'hx-trigger="every 1s"' in running.content
    assert b"<nav" not in running.content  # the fragment only, no page chrome
    assert "HX-Request" in running["Vary"]

    Batch.objects.filter(pk=batch.pk).update(status="completed", processed_files=4)
    BatchItem.objects.create(batch=batch, path="x.wav", status="failed", error="Not audio.")
    finished = client.get(url, headers=headers)
    assert finished.status_code == 286  # htmx stops polling
    assert b"Not audio." in finished.content
    assert b"every 1s" not in finished.content

    full = client.get(url)
    assert b"<nav" in full.content


def test_library_page_shows_the_importer(client_for, user):
    response = client_for(user).get(reverse("library:index"))
    assert b'id="upload-form"' in response.content
    assert b'enctype="multipart/form-data"' in response.content
    assert b"webkitdirectory" in response.content


def test_sample_row_partial(client_for, user, make_sample):
    sample = make_sample(user, status="ready")
    response = client_for(user).get(reverse("library:sample_row", args=[sample.pk]))
    assert f'id="sample-{sample.pk}"'.encode() in response.content
    assert b"hx-trigger" not in response.content  # analysed rows stop polling

"""Importing in a real browser: files and a folder go in, analysed rows come out."""

import zipfile

import pytest
from django.contrib.auth import get_user_model

from imports.models import Batch
from library.models import Sample
from tests import audiogen
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.files import write_audio

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username="mpc", password="a long enough passphrase"):
    get_user_model().objects.create_user(username=username, password=password)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_upload_files_and_watch_them_analysed(
    page, live_server, tmp_path, tasks_inline, screenshot
):
    files = [
        write_audio(tmp_path / "Kick Deep.wav", audiogen.kick()),
        write_audio(tmp_path / "Snare Crack.aiff", audiogen.snare()),
        write_audio(tmp_path / "beat 95.flac", audiogen.drum_loop(95, 2)),
    ]
    broken = tmp_path / "broken.wav"
    broken.write_text("not audio at all")
    log_in(page, live_server)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.set_input_files("input[type=file]:not([webkitdirectory])", [*map(str, files), str(broken)])
    page.wait_for_selector("#uploads li:has-text('Import finished')")
    assert page.locator("#sample-rows tr").count() == 3
    assert page.locator("#sample-count").inner_text() == "3"
    assert Batch.objects.get().name == "Kick Deep.wav and 3 more"
    failed = page.locator("#uploads li", has_text="broken.wav")
    assert "WAV, AIFF, FLAC, MP3" in failed.inner_text() or "decod" in failed.inner_text().lower()

    page.wait_for_function(
        "document.querySelectorAll('#sample-rows .status-ready').length === 3", timeout=30_000
    )
    loop_row = page.locator("#sample-rows tr", has_text="beat 95")
    assert "95.0" in loop_row.inner_text()
    assert "Loop" in loop_row.inner_text()
    assert (
        page.locator("#sample-rows tr", has_text="Kick Deep").locator("svg.waveform").count() == 1
    )
    assert Sample.objects.filter(status="ready").count() == 3
    screenshot("library-after-upload-laptop")

    page.set_viewport_size({"width": 390, "height": 844})
    assert_no_horizontal_scroll(page)
    screenshot("library-after-upload-phone")


def test_upload_a_folder_keeps_its_paths(page, live_server, tmp_path, tasks_inline):
    pack = tmp_path / "Pack"
    write_audio(pack / "Drums" / "Kicks" / "k.wav", audiogen.kick())
    write_audio(pack / "Drums" / "Hats" / "h.wav", audiogen.closed_hat())
    (pack / "Read me.txt").write_text("Thanks for downloading!")
    (pack / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    log_in(page, live_server)
    page.set_input_files("input[webkitdirectory]", str(pack))
    finished = page.wait_for_selector("#uploads li:has-text('Import finished')")
    # The text file is mentioned; the system's own file is not.
    assert "2 imported" in finished.inner_text()
    assert "1 not audio and left out" in finished.inner_text()
    assert set(Sample.objects.values_list("source_path", flat=True)) == {
        "Pack/Drums/Kicks",
        "Pack/Drums/Hats",
    }
    assert Batch.objects.get().name == "Pack (2 files)"


def test_an_archive_says_what_became_of_its_files(page, live_server, tmp_path, tasks_inline):
    kick = write_audio(tmp_path / "Kick.wav", audiogen.kick())
    archive = tmp_path / "pack.zip"
    with zipfile.ZipFile(archive, "w") as pack:
        pack.write(kick, "Pack/Kick.wav")  # Imported first, alone: then already in the library.
        pack.write(write_audio(tmp_path / "Snare.wav", audiogen.snare()), "Pack/Snare.wav")
        pack.write(write_audio(tmp_path / "Hat.wav", audiogen.closed_hat()), "Pack/Hat.wav")
        pack.writestr("Pack/broken.wav", b"not audio at all")
    log_in(page, live_server)
    page.set_input_files("input[type=file]:not([webkitdirectory])", str(kick))
    page.wait_for_selector("#uploads li:has-text('Import finished')")

    page.set_input_files("input[type=file]:not([webkitdirectory])", str(archive))
    line = page.locator("#uploads li", has_text="pack.zip")
    line.locator(".upload-status:has-text('files in the archive')").wait_for()
    assert line.locator(".upload-status").inner_text() == (
        "4 files in the archive: 2 imported, 1 already in the library, 1 failed"
    )

"""Exporting a kit in a real browser and unzipping the download."""

import zipfile

import pytest
import soundfile as sf
from django.contrib.auth import get_user_model
from django_q.conf import Conf

from kits.models import Kit, KitPad
from library.importing import import_file
from tests import audiogen
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.browser.test_import import log_in
from tests.library.conftest import write_audio

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_export_a_kit_and_unzip_the_download(page, live_server, tmp_path, monkeypatch, screenshot):
    monkeypatch.setattr(Conf, "SYNC", True)
    log_in(page, live_server)
    owner = get_user_model().objects.get()
    kit = Kit.objects.create(owner=owner, name="Dusty Kit")
    for pad, (name, audio) in enumerate(
        [("Kick", audiogen.kick()), ("Snare", audiogen.snare())], start=13
    ):
        path = write_audio(tmp_path / f"{name}.wav", audio)
        KitPad.objects.create(
            kit=kit, bank="A", pad_number=pad, sample=import_file(owner, path, path.name).sample
        )

    page.goto(f"{live_server.url}/exports/")
    page.select_option("#export-kit", str(kit.pk))
    page.click("button:has-text('Export a kit')")
    page.click("button:has-text('Start export')")
    page.wait_for_selector("#download-link", timeout=30_000)
    screenshot("export-done-laptop")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    with page.expect_download() as download_info:
        page.click("#download-link")
    target = tmp_path / "download.zip"
    download_info.value.save_as(target)
    with zipfile.ZipFile(target) as archive:
        names = sorted(archive.namelist())
        assert names == [
            "Dusty Kit/A/13 Kick.wav",
            "Dusty Kit/A/14 Snare.wav",
            "Dusty Kit/README.txt",
        ]
        archive.extractall(tmp_path / "unzipped")
    info = sf.info(tmp_path / "unzipped" / "Dusty Kit" / "A" / "13 Kick.wav")
    assert (info.samplerate, info.subtype) == (48000, "PCM_16")

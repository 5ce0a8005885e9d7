"""Exporting a kit in a real browser and unzipping the download."""

import json
import zipfile
from io import StringIO

import pytest
import soundfile as sf
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_q.conf import Conf

from imports.importing import import_file
from kits.models import Kit, KitPad
from tests import audiogen
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.browser.test_import import log_in
from tests.files import write_audio

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


def make_kit(owner, tmp_path, name="Dusty Kit"):
    kit = Kit.objects.create(owner=owner, name=name)
    for pad, (sound, audio) in enumerate(
        [("Kick", audiogen.kick()), ("Snare", audiogen.snare())], start=13
    ):
        path = write_audio(tmp_path / f"{sound}.wav", audio)
        KitPad.objects.create(
            kit=kit, bank="A", pad_number=pad, sample=import_file(owner, path, path.name).sample
        )
    return kit


def test_a_cancelled_export_can_be_resumed(page, live_server, tmp_path, monkeypatch, screenshot):
    log_in(page, live_server)
    kit = make_kit(get_user_model().objects.get(), tmp_path)
    page.goto(f"{live_server.url}/exports/new/?kit={kit.pk}")
    # No cluster runs here: the export waits in the queue until it is cancelled.
    page.click("button:has-text('Start export')")
    page.click("button:has-text('Cancel')")
    resume = page.locator("#resume-button")
    assert resume.inner_text() == "Resume: export the 2 files left"
    screenshot("export-cancelled")
    monkeypatch.setattr(Conf, "SYNC", True)
    resume.click()
    page.wait_for_selector("#download-link", timeout=30_000)
    assert "Completed" in page.inner_text("#export-progress")
    assert "Resumed: 2 files to export." in page.inner_text(".messages")
    screenshot("export-resumed")


def test_exports_list_fits_a_phone(page, live_server, tmp_path, monkeypatch, screenshot):
    monkeypatch.setattr(Conf, "SYNC", True)
    log_in(page, live_server)
    kit = make_kit(
        get_user_model().objects.get(), tmp_path, name="A Very Long Kit Name For The Summer Tour"
    )
    page.goto(f"{live_server.url}/exports/new/?kit={kit.pk}")
    page.click("button:has-text('Start export')")
    page.wait_for_selector("#download-link", timeout=30_000)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/exports/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    name = page.locator(".export-name").first
    assert name.get_attribute("title") == "A Very Long Kit Name For The Summer Tour"
    download = page.locator("a:has-text('Download')").first
    box = download.bounding_box()
    assert box and box["x"] + box["width"] <= 390
    screenshot("exports-list-phone")
    name.click()
    page.wait_for_selector("#export-progress")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("export-detail-phone")


def test_the_export_form_offers_only_destinations_that_work(
    page, live_server, tmp_path, settings, screenshot
):
    settings.EXPORT_FOLDER_ROOTS = []
    log_in(page, live_server)
    kit = make_kit(get_user_model().objects.get(), tmp_path)
    page.goto(f"{live_server.url}/exports/new/?kit={kit.pk}")
    options = page.locator("#id_destination option").all_inner_texts()
    assert options == ["ZIP download"]
    assert page.locator("#id_output_path").count() == 0
    assert "SP404_EXPORT_ROOTS" in page.inner_text(".field-destination")
    screenshot("export-form-without-folders")


def test_export_a_kit_as_a_project_and_read_it_back(
    page, live_server, tmp_path, monkeypatch, screenshot
):
    monkeypatch.setattr(Conf, "SYNC", True)
    log_in(page, live_server)
    owner = get_user_model().objects.get()
    kit = make_kit(owner, tmp_path, name="Project Kit")
    KitPad.objects.filter(kit=kit, pad_number=14).update(volume=90, pitch=2, reverse=True)

    page.goto(f"{live_server.url}/exports/new/?kit={kit.pk}")
    assert page.is_visible("text=not been confirmed on a unit")
    page.check("input[name=project]")
    page.click("button:has-text('Start export')")
    page.wait_for_selector("#download-link", timeout=30_000)
    assert "EXPORT/PROJECT/Project Kit" in page.inner_text("#project-note")
    screenshot("export-project-laptop")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_no_horizontal_scroll(page)
    screenshot("export-project-phone")
    with page.expect_download() as download_info:
        page.click("#download-link")
    target = tmp_path / "project.zip"
    download_info.value.save_as(target)
    with zipfile.ZipFile(target) as archive:
        archive.extractall(tmp_path / "card")

    out = StringIO()
    call_command(
        "inspect_sp404_project", str(tmp_path / "card/EXPORT/PROJECT/Project Kit"), "--json",
        stdout=out,
    )  # fmt: skip
    project, *pads = [json.loads(line) for line in out.getvalue().splitlines()]
    assert project["name"] == "Project Kit"
    assert [(pad["bank"], pad["pad"], pad["name"]) for pad in pads] == [
        ("A", 13, "Kick"),
        ("A", 14, "Snare"),
    ]
    assert (pads[1]["volume"], pads[1]["pitch"], pads[1]["reverse"]) == (90, 2, True)
    kick = sf.info(tmp_path / "card/IMPORT/Project Kit/A/13 Kick.wav")
    assert pads[0]["end_frame"] == kick.frames

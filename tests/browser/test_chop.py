"""The chop editor in a real browser: cut a loop, hear a slice, send the slices to a bank, export."""

import io
import json
import zipfile
from itertools import pairwise
from pathlib import Path

import pytest
import soundfile as sf
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_q.conf import Conf

from imports.models import Batch
from imports.sources import import_paths
from kits.models import Kit
from library import slicing
from library.models import Sample
from library.tasks import analyze_sample
from tests import audiogen
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.browser.test_import import log_in
from tests.files import write_audio

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BPM = 100
BARS = 2
RATE = 44100
EXPORT_RATE = 48000
# Snapping to a zero crossing moves a cut by at most 1 ms.
SNAP_FRAMES = round(RATE / 1000)


def import_loop(owner, folder: Path, name="AMEN") -> Sample:
    """A real drum loop imported and analysed, as a user's loop is."""
    path = write_audio(folder / "Loops" / f"{name}.wav", audiogen.drum_loop(BPM, BARS), RATE)
    batch = Batch.objects.start(owner, source=Batch.Source.FOLDER, name="loops")
    import_paths(batch, [path])
    loop = Sample.objects.get(owner=owner, name=name)
    assert analyze_sample(loop.pk) == Sample.Status.READY
    loop.refresh_from_db()
    assert loop.kind == Sample.Kind.LOOP
    assert loop.tempo_bpm == pytest.approx(BPM, abs=1)
    return loop


@pytest.fixture
def chop_page(page, live_server, tmp_path):
    """Logged in, on the page of an analysed loop, with the editor's script running;
    no script error may happen on the way."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server)
    owner = get_user_model().objects.get(username="mpc")
    loop = import_loop(owner, tmp_path)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/samples/{loop.pk}/")
    page.wait_for_selector("#chop-editor[data-ready]")
    yield loop
    assert errors == [], f"script errors on the page: {errors}"


def slices_of(loop) -> list[Sample]:
    return list(loop.slices.alive().order_by("start_frame"))


def assert_end_to_end(loop, slices) -> None:
    """The slices follow each other with no gap or overlap from the loop's first frame to its last."""
    frames = sf.info(loop.file.path).frames
    assert slices[0].start_frame == 0
    assert slices[-1].end_frame == frames
    for before, after in pairwise(slices):
        assert before.end_frame == after.start_frame


def chop_in_parts(page, parts: int) -> None:
    page.select_option("#id_chop_parts", str(parts))
    page.click(".chop-auto button[name=mode][value=parts]")
    page.wait_for_function(
        f"document.querySelectorAll('#chop-editor .slice-list li').length === {parts}"
    )
    # htmx hands the new editor to its script once the swap settles: wait for the
    # script, and for the regions it draws over the new cuts.
    page.wait_for_selector("#chop-editor[data-ready]")
    page.wait_for_function(
        f"document.querySelectorAll('#chop-editor .chop-region').length === {parts}"
    )


def cut_x(page, index: int) -> float:
    """The page x of a cut marker's line."""
    box = page.locator(".chop-cut").nth(index).bounding_box()
    return box["x"] + box["width"] / 2


def assert_touch_targets(page, minimum=44):
    """What a finger aims at in the editor is at least 44 px either way, as on the kit page."""
    small = page.evaluate(
        """([minimum]) => [...document.querySelectorAll(
              '#chop-editor .chop-region, #chop-editor form button, #chop-editor select, '
              + '#chop-editor input[type=text]')]
            .filter((el) => el.offsetParent !== null)
            .map((el) => [el.className || el.tagName, el.getBoundingClientRect()])
            .filter(([, box]) => box.width < minimum || box.height < minimum)
            .map(([name, box]) => `${name} ${Math.round(box.width)}x${Math.round(box.height)}`)""",
        [minimum],
    )
    assert small == [], f"touch targets under {minimum}px: {small}"


def test_chop_into_equal_parts(page, chop_page, live_server, screenshot):
    loop = chop_page
    assert page.locator(".chop-region").count() == 1  # not cut yet: the whole loop
    chop_in_parts(page, 4)
    assert page.locator(".chop-region").count() == 4
    assert page.locator(".chop-cut").count() == 3
    assert "4 slices" in page.inner_text("#chop-editor .notice")

    slices = slices_of(loop)
    assert [row.name for row in slices] == ["AMEN s01", "AMEN s02", "AMEN s03", "AMEN s04"]
    assert_end_to_end(loop, slices)
    frames = sf.info(loop.file.path).frames
    for number, row in enumerate(slices[1:], start=1):
        assert abs(row.start_frame - round(frames * number / 4)) <= SNAP_FRAMES
    # The text field the script keeps in step holds the saved cuts.
    saved = ",".join(str(row.start_frame) for row in slices[1:])
    assert page.input_value("#id_chop_cuts") == saved
    # Each row links to its slice's page.
    links = page.locator(".slice-list li a").evaluate_all("(links) => links.map((a) => a.pathname)")
    assert links == [f"/samples/{row.pk}/" for row in slices]

    screenshot("chop-editor-laptop")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_no_horizontal_scroll(page)
    assert_touch_targets(page)
    # The next chop starts from the choice just made.
    assert page.locator("#id_chop_parts").input_value() == "4"
    screenshot("chop-editor-phone")

    # A slice is not chopped again: its page has no editor.
    page.goto(f"{live_server.url}/samples/{slices[0].pk}/")
    assert page.locator("h1").inner_text() == "AMEN s01"
    assert page.locator("#chop-editor").count() == 0


def test_chop_on_beats_and_at_transients(page, chop_page):
    loop = chop_page
    frames = sf.info(loop.file.path).frames
    page.click(".chop-auto button[name=mode][value=beats]")
    beats = BARS * 4
    page.wait_for_function(
        f"document.querySelectorAll('#chop-editor .slice-list li').length === {beats}"
    )
    page.wait_for_selector("#chop-editor[data-ready]")
    beat = RATE * 60 / loop.tempo_bpm
    slices = slices_of(loop)
    assert_end_to_end(loop, slices)
    for number, row in enumerate(slices[1:], start=1):
        assert abs(row.start_frame - number * beat) <= SNAP_FRAMES
    assert abs(frames - beats * beat) < beat / 2

    page.select_option("#id_chop_level", "medium")
    page.click(".chop-auto button[name=mode][value=transients]")
    page.wait_for_selector("#chop-editor .notice:has-text('moved')")
    page.wait_for_selector("#chop-editor[data-ready]")
    slices = slices_of(loop)
    assert len(slices) > 2
    assert page.locator(".chop-region").count() == len(slices)
    assert_end_to_end(loop, slices)
    attacks = [seconds * RATE for seconds, _strength in loop.features.onset_times]
    for row in slices[1:]:
        assert min(abs(row.start_frame - attack) for attack in attacks) <= SNAP_FRAMES + 1


def test_cut_by_hand_add_drag_delete_and_save(page, chop_page):
    loop = chop_page
    frames = sf.info(loop.file.path).frames
    wave = page.locator(".chop-wave")
    box = wave.bounding_box()
    middle = box["height"] / 2

    wave.dblclick(position={"x": box["width"] * 0.3, "y": middle})
    wave.dblclick(position={"x": box["width"] * 0.7, "y": middle})
    wave.dblclick(position={"x": box["width"] * 0.85, "y": middle})
    assert page.locator(".chop-cut").count() == 3
    assert page.locator(".chop-region").count() == 4
    assert page.is_visible(".chop-unsaved")
    cuts = [int(part) for part in page.input_value("#id_chop_cuts").split(",")]
    assert len(cuts) == 3
    # A pixel of the waveform is frames / width of the loop.
    pixel = frames / box["width"]
    for cut, fraction in zip(cuts, (0.3, 0.7, 0.85), strict=True):
        assert abs(cut - fraction * frames) <= 2 * pixel

    # Drag the 70 % cut to 55 %.
    page.mouse.move(cut_x(page, 1), box["y"] + middle)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + middle, steps=4)
    page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + middle, steps=4)
    page.mouse.up()
    cuts = [int(part) for part in page.input_value("#id_chop_cuts").split(",")]
    assert abs(cuts[1] - 0.55 * frames) <= 2 * pixel

    # Select the last cut and delete it with the keyboard.
    page.locator(".chop-cut").nth(2).click()
    assert "selected" in page.locator(".chop-cut").nth(2).get_attribute("class")
    page.keyboard.press("Delete")
    assert page.locator(".chop-cut").count() == 2
    cuts = [int(part) for part in page.input_value("#id_chop_cuts").split(",")]
    assert len(cuts) == 2

    # Nudge the first cut: 1 ms right, then 10 ms left.
    page.locator(".chop-cut").nth(0).click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowLeft")
    nudged = [int(part) for part in page.input_value("#id_chop_cuts").split(",")]
    assert nudged[0] == cuts[0] + round(RATE / 1000) - round(10 * RATE / 1000)
    cuts = nudged

    page.click(".chop-hand button[name=mode][value=hand]")
    page.wait_for_function("document.querySelectorAll('#chop-editor .slice-list li').length === 3")
    slices = slices_of(loop)
    assert len(slices) == 3
    assert_end_to_end(loop, slices)
    for cut, row in zip(cuts, slices[1:], strict=True):
        assert abs(row.start_frame - cut) <= SNAP_FRAMES
    page.wait_for_selector("#chop-editor[data-ready]")
    assert page.input_value("#id_chop_cuts") == ",".join(str(row.start_frame) for row in slices[1:])

    page.click(".chop-hand button[name=mode][value=clear]")
    page.wait_for_function("document.querySelectorAll('#chop-editor .slice-list li').length === 0")
    page.wait_for_selector("#chop-editor[data-ready]")
    page.wait_for_function("document.querySelectorAll('#chop-editor .chop-region').length === 1")
    assert slices_of(loop) == []
    assert page.locator(".chop-region").count() == 1


def test_play_a_slice_by_click_and_by_key(page, chop_page, live_server):
    loop = chop_page
    chop_in_parts(page, 4)
    # chop.js marks a region "playing" when its Web Audio source starts and unmarks it
    # when the source ends, which only happens if the audio context really renders.
    first = page.locator('.chop-region[data-index="0"]')
    first.click()
    page.wait_for_selector('.chop-region[data-index="0"].playing', timeout=10_000)
    page.wait_for_selector('.chop-region[data-index="0"]:not(.playing)', timeout=10_000)

    page.locator("h1").click()
    page.keyboard.press("2")
    page.wait_for_selector('.chop-region[data-index="1"].playing', timeout=10_000)
    page.wait_for_selector('.chop-region[data-index="1"]:not(.playing)', timeout=10_000)

    # The slice list's play button plays the slice's own audio, rendered from the loop.
    row = page.locator(".slice-list li").nth(2)
    row.locator(".play-button").click()
    page.wait_for_function(
        "document.querySelector('.player audio').currentTime > 0.05", timeout=10_000
    )
    third = slices_of(loop)[2]
    assert page.evaluate("document.querySelector('.player audio').src").endswith(
        f"/samples/{third.pk}/audio/"
    )
    response = page.request.get(f"{live_server.url}/samples/{third.pk}/audio/")
    assert response.ok and response.headers["content-type"] == "audio/wav"
    info = sf.info(io.BytesIO(response.body()))
    assert (info.samplerate, info.frames) == (RATE, third.end_frame - third.start_frame)


def test_send_slices_to_a_bank(page, chop_page, live_server, screenshot):
    loop = chop_page
    kit = Kit.objects.create(owner=loop.owner, name="Chops")
    chop_in_parts(page, 4)  # the editor, drawn again, lists the new kit
    page.select_option("#id_send_kit", str(kit.pk))
    page.select_option("#id_send_bank", "B")
    page.click("form.send-slices button[type=submit]")
    page.wait_for_url(f"{live_server.url}/kits/{kit.pk}/?bank=B")
    assert "Sent 4 slices of “AMEN” to bank B, pads 1-4." in page.inner_text(".messages")
    for number in range(1, 5):
        assert f"AMEN s{number:02d}" in page.inner_text(f"#pad-B-{number}")
    pads = list(kit.pads.order_by("bank", "pad_number").values_list("bank", "pad_number", "sample"))
    assert pads == [("B", number, row.pk) for number, row in enumerate(slices_of(loop), start=1)]
    screenshot("chop-sent-to-bank")


def test_send_slices_in_the_order_of_the_list(page, chop_page, live_server):
    loop = chop_page
    kit = Kit.objects.create(owner=loop.owner, name="Chops")
    chop_in_parts(page, 4)
    # The last slice goes up one place: pads 3 and 4 swap.
    page.click(".slice-list li:nth-child(4) [data-move='-1']")
    names = page.locator(".slice-list li a").all_inner_texts()
    assert names == ["AMEN s01", "AMEN s02", "AMEN s04", "AMEN s03"]
    page.select_option("#id_send_kit", str(kit.pk))
    page.select_option("#id_send_bank", "C")
    page.click("form.send-slices button[type=submit]")
    page.wait_for_url(f"{live_server.url}/kits/{kit.pk}/?bank=C")
    pads = dict(kit.pads.filter(bank="C").values_list("pad_number", "sample__name"))
    assert pads == {1: "AMEN s01", 2: "AMEN s02", 3: "AMEN s04", 4: "AMEN s03"}


def test_export_a_bank_of_slices(page, chop_page, live_server, tmp_path, monkeypatch):
    loop = chop_page
    kit = Kit.objects.create(owner=loop.owner, name="Chops")
    chop_in_parts(page, 4)
    page.select_option("#id_send_kit", str(kit.pk))
    page.select_option("#id_send_bank", "B")
    page.click("form.send-slices button[type=submit]")
    page.wait_for_url(f"{live_server.url}/kits/{kit.pk}/?bank=B")

    monkeypatch.setattr(Conf, "SYNC", True)
    page.goto(f"{live_server.url}/exports/new/?kit={kit.pk}")
    page.click("button:has-text('Start export')")
    page.wait_for_selector("#download-link", timeout=60_000)
    with page.expect_download() as download_info:
        page.click("#download-link")
    target = tmp_path / "download.zip"
    download_info.value.save_as(target)
    unzipped = tmp_path / "unzipped"
    with zipfile.ZipFile(target) as archive:
        names = sorted(name for name in archive.namelist() if name.endswith(".wav"))
        archive.extractall(unzipped)
    assert names == [f"Chops/B/{number:02d} AMEN s{number:02d}.wav" for number in range(1, 5)]
    pads = kit.pads.filter(bank="B").order_by("pad_number").select_related("sample")
    loop_rate = sf.info(loop.file.path).samplerate
    for name, pad in zip(names, pads, strict=True):
        info = sf.info(unzipped / name)
        assert (info.samplerate, info.subtype) == (EXPORT_RATE, "PCM_16")
        frames = pad.sample.end_frame - pad.sample.start_frame
        assert abs(info.frames - round(frames * EXPORT_RATE / loop_rate)) <= 2, name
    # The slices' audio is the loop's, in order: the exported files add up to the loop.
    total = sum(sf.info(unzipped / name).frames for name in names)
    assert abs(total - round(slicing.frame_count(loop) * EXPORT_RATE / loop_rate)) <= 2 * len(names)


def test_whole_loop_on_a_pad_becomes_chop_marks_in_a_project(
    page, chop_page, live_server, tmp_path, monkeypatch, screenshot
):
    loop = chop_page
    kit = Kit.objects.create(owner=loop.owner, name="Chops", tempo_bpm=100)
    chop_in_parts(page, 4)
    page.check("input[name=how][value=marks]")
    page.select_option("#id_send_kit", str(kit.pk))
    page.select_option("#id_send_bank", "C")
    page.select_option("#id_send_pad", "2")
    page.click("form.send-slices button[type=submit]")
    page.wait_for_url(f"{live_server.url}/kits/{kit.pk}/?bank=C")
    assert "chop marks" in page.inner_text("#pad-C-2")
    assert list(kit.pads.values_list("bank", "pad_number", "sample", "chop_marks")) == [
        ("C", 2, loop.pk, True)
    ]

    monkeypatch.setattr(Conf, "SYNC", True)
    page.goto(f"{live_server.url}/exports/new/?kit={kit.pk}")
    page.check("input[name=project]")
    page.click("button:has-text('Start export')")
    page.wait_for_selector("#download-link", timeout=60_000)
    screenshot("chop-marks-project-export")
    with page.expect_download() as download_info:
        page.click("#download-link")
    target = tmp_path / "project.zip"
    download_info.value.save_as(target)
    with zipfile.ZipFile(target) as archive:
        archive.extractall(tmp_path / "card")
    out = io.StringIO()
    call_command(
        "inspect_sp404_project", str(tmp_path / "card/EXPORT/PROJECT/Chops"), "--json", stdout=out
    )
    project, pad = [json.loads(line) for line in out.getvalue().splitlines()]
    assert (project["tempo_mode"], project["project_bpm"]) == ("project", 100.0)
    loop_rate = sf.info(loop.file.path).samplerate
    starts = [row.start_frame for row in slices_of(loop)]
    assert (pad["bank"], pad["pad"], pad["name"]) == ("C", 2, "AMEN")
    assert pad["marks"] == [round(start * EXPORT_RATE / loop_rate) for start in starts]
    assert pad["end_frame"] == sf.info(tmp_path / "card/IMPORT/Chops/C/02 AMEN.wav").frames

"""Digging by ear in a real browser: search the library with a dropped or chosen sound,
and drag samples out of the page as files (the original, or the SP-404MK2-ready WAV)."""

import base64
import io
import re
from pathlib import Path

import pytest
import soundfile as sf
import soxr
from django.contrib.auth import get_user_model

from exports.library import ready_file_name
from imports.models import Batch
from imports.sources import import_paths
from kits.models import Kit
from library.models import Sample
from library.tasks import analyze_samples
from tests import audiogen
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.browser.test_import import log_in
from tests.files import write_audio

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RATE = 44100
QUERY_RATE = 48000
SOUNDS = {
    "Kick Deep.wav": lambda: audiogen.kick(RATE),
    "Snare Crack.wav": lambda: audiogen.snare(RATE),
    "Hat Closed.wav": lambda: audiogen.closed_hat(RATE),
    "Hat Open.aiff": lambda: audiogen.open_hat(RATE),
    "Keys Am.flac": lambda: audiogen.chord("A", "minor", 2.0, RATE),
    "Beat 100.wav": lambda: audiogen.drum_loop(100, 2, RATE),
}


@pytest.fixture
def dig(page, live_server, tmp_path):
    """Logged in on the library page with six real sounds imported and analysed;
    no script error and no console error may happen on the way."""
    errors = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on(
        "console",
        lambda message: message.type == "error" and errors.append(f"console: {message.text}"),
    )
    log_in(page, live_server)
    owner = get_user_model().objects.get(username="mpc")
    folder = tmp_path / "Pack"
    paths = [write_audio(folder / name, make(), RATE) for name, make in SOUNDS.items()]
    batch = Batch.objects.start(owner, source=Batch.Source.FOLDER, name="pack")
    import_paths(batch, paths)
    analyze_samples(list(Sample.objects.filter(owner=owner).values_list("pk", flat=True)))
    assert Sample.objects.filter(owner=owner).ready().count() == len(SOUNDS)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url)
    page.wait_for_selector("#sample-rows tr")
    samples = {sample.name: sample for sample in Sample.objects.filter(owner=owner)}
    assert set(samples) == {Path(name).stem for name in SOUNDS}
    yield {"owner": owner, "samples": samples, "folder": folder}
    assert errors == [], f"errors on the page: {errors}"


def reencoded_copy(folder: Path, source: str, name: str) -> Path:
    """The source sound trimmed to 85 %, resampled to 48 kHz and written in another format."""
    audio, rate = sf.read(folder / source, dtype="float32")
    trimmed = audio[: int(len(audio) * 0.85)]
    path = folder.parent / "queries" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return audiogen.write(path, soxr.resample(trimmed, rate, QUERY_RATE), QUERY_RATE)


def drop_file(page, path: Path, target="#id_q") -> None:
    """Drop a file on an element, as a file dragged from the desktop lands: a real `drop`
    event whose DataTransfer holds a File built in the page from the file's bytes."""
    page.evaluate(
        """([selector, name, type, data]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const file = new File([bytes], name, { type });
            const transfer = new DataTransfer();
            transfer.items.add(file);
            const target = document.querySelector(selector);
            const options = { dataTransfer: transfer, bubbles: true, cancelable: true };
            target.dispatchEvent(new DragEvent('dragenter', options));
            const over = new DragEvent('dragover', options);
            target.dispatchEvent(over);
            if (!over.defaultPrevented) throw new Error('the box does not accept dropped files');
            if (!target.classList.contains('drop-target')) throw new Error('no drop highlight');
            target.dispatchEvent(new DragEvent('drop', options));
        }""",
        [target, path.name, mime_type(path), base64.b64encode(path.read_bytes()).decode()],
    )


def mime_type(path: Path) -> str:
    return {".mp3": "audio/mpeg", ".flac": "audio/flac", ".wav": "audio/wav"}[path.suffix]


def result_names(page) -> list[str]:
    return [
        name.strip()
        for name in page.locator("#sample-rows tr td.col-name > a:first-child").all_inner_texts()
    ]


def library_count(page, live_server) -> str:
    page.goto(live_server.url)
    return page.inner_text("#sample-count")


def test_drop_a_reencoded_copy_on_the_search_box(dig, page, live_server, screenshot):
    before = Sample.objects.count()
    assert library_count(page, live_server) == str(before)
    # On this computer (localhost is a secure context) the microphone can be offered.
    page.click("details.sound-panel > summary")
    assert page.is_visible("#sound-search .sound-record")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_no_horizontal_scroll(page)
    screenshot("sound-search-panel-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    query = reencoded_copy(dig["folder"], "Snare Crack.wav", "snare from the phone.mp3")
    with page.expect_navigation():
        drop_file(page, query)
    assert re.fullmatch(rf"{re.escape(live_server.url)}/sound-search/\??", page.url), page.url
    assert page.inner_text("h1") == "Sounds like “snare from the phone.mp3”"
    names = result_names(page)
    assert names[0] == "Snare Crack", names
    assert sorted(names) == sorted(dig["samples"]), "every analysed sample is ranked"
    # The first row is the sample itself, playable and draggable like a library row.
    first = page.locator("#sample-rows tr").first
    snare = dig["samples"]["Snare Crack"]
    assert first.get_attribute("id") == f"sample-{snare.pk}"
    assert first.get_attribute("data-download-url") == f"/samples/{snare.pk}/download/"

    screenshot("sound-search-laptop")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_no_horizontal_scroll(page)
    screenshot("sound-search-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Compared, not kept.
    assert Sample.objects.count() == before
    assert not Sample.objects.filter(name__icontains="phone").exists()
    assert library_count(page, live_server) == str(before)

    # Dropped on a filtered view, the search keeps to the filters in the address.
    page.goto(f"{live_server.url}/?category=kick")
    with page.expect_navigation():
        drop_file(page, query)
    assert page.url == f"{live_server.url}/sound-search/?category=kick"
    assert result_names(page) == ["Kick Deep"]
    assert "within your filters" in page.inner_text(".pagehead")


def test_choose_a_file_and_press_the_button(dig, page, live_server):
    before = Sample.objects.count()
    query = reencoded_copy(dig["folder"], "Hat Open.aiff", "open hat.flac")
    page.click("details.sound-panel > summary")
    page.set_input_files("#id_clip", str(query))
    with page.expect_navigation():
        page.click("#sound-search button:has-text('Find what sounds like it')")
    assert page.inner_text("h1") == "Sounds like “open hat.flac”"
    names = result_names(page)
    assert names[0] == "Hat Open", names
    assert Sample.objects.count() == before

    # The result page carries the form again: a second search starts from there.
    query = reencoded_copy(dig["folder"], "Keys Am.flac", "keys.mp3")
    page.set_input_files("#id_clip", str(query))
    with page.expect_navigation():
        page.click("#sound-search button:has-text('Find what sounds like it')")
    assert page.inner_text("h1") == "Sounds like “keys.mp3”"
    assert result_names(page)[0] == "Keys Am"

    # A file that is not audio is refused with a message, on the same page.
    junk = dig["folder"] / "notes.wav"
    junk.write_text("not audio at all" * 50)
    page.set_input_files("#id_clip", str(junk))
    with page.expect_navigation():
        page.click("#sound-search button:has-text('Find what sounds like it')")
    assert page.locator("#sound-search .error").count() == 1
    assert page.locator("#sample-rows tr").count() == 0
    assert Sample.objects.count() == before


def drag_data(page, selector: str, alt: bool = False) -> dict[str, str]:
    """Start a drag on an element as the browser does, and read what the drag carries."""
    return page.evaluate(
        """([selector, altKey]) => {
            const transfer = new DataTransfer();
            const element = document.querySelector(selector);
            element.dispatchEvent(
              new DragEvent('dragstart', { dataTransfer: transfer, bubbles: true, altKey }));
            return {
              download: transfer.getData('DownloadURL'),
              uris: transfer.getData('text/uri-list'),
              draggable: element.draggable,
            };
        }""",
        [selector, alt],
    )


def split_download_url(value: str) -> tuple[str, str, str]:
    """DownloadURL is "type:name:url"; the URL has colons of its own."""
    kind, name, url = value.split(":", 2)
    return kind, name, url


def test_drag_a_row_or_a_pad_out_as_a_file(dig, page, live_server):
    snare = dig["samples"]["Snare Crack"]
    hat = dig["samples"]["Hat Open"]
    url = f"{live_server.url}/samples/{snare.pk}/download/"

    plain = drag_data(page, f"#sample-{snare.pk}")
    assert plain["draggable"] is True
    assert split_download_url(plain["download"]) == ("audio/wav", "Snare Crack.wav", url)
    assert plain["uris"] == url
    response = page.request.get(url)
    assert response.ok
    assert "attachment" in response.headers["content-disposition"]
    assert response.body() == (dig["folder"] / "Snare Crack.wav").read_bytes()
    assert response.body() == Path(snare.file.path).read_bytes()

    ready = drag_data(page, f"#sample-{snare.pk}", alt=True)
    kind, name, ready_url = split_download_url(ready["download"])
    assert (kind, ready_url) == ("audio/wav", f"{url}?version=sp404")
    assert name.endswith(".wav") and name.isascii() and ":" not in name
    assert name == ready_file_name(snare)
    assert ready["uris"] == ready_url
    response = page.request.get(ready_url)
    assert response.ok and response.headers["content-type"] == "audio/wav"
    assert name in response.headers["content-disposition"]
    info = sf.info(io.BytesIO(response.body()))
    assert (info.format, info.samplerate, info.subtype) == ("WAV", 48000, "PCM_16")
    assert info.frames == pytest.approx(snare.duration * 48000, abs=2)

    # An AIFF keeps its own type and name.
    aiff = drag_data(page, f"#sample-{hat.pk}")
    kind, name, hat_url = split_download_url(aiff["download"])
    assert (name, hat_url) == ("Hat Open.aiff", f"{live_server.url}/samples/{hat.pk}/download/")
    assert kind == "audio/aiff"
    assert page.request.get(hat_url).body() == (dig["folder"] / "Hat Open.aiff").read_bytes()

    # A kit's pad carries the same file, and still moves within the page.
    kit = Kit.objects.create(owner=dig["owner"], name="Diggin")
    kit.assign("A", 1, snare)
    page.goto(f"{live_server.url}/kits/{kit.pk}/")
    pad = drag_data(page, "#pad-A-1")
    assert pad["draggable"] is True
    assert split_download_url(pad["download"]) == ("audio/wav", "Snare Crack.wav", url)
    pad_ready = drag_data(page, "#pad-A-1", alt=True)
    assert pad_ready["download"] == ready["download"]
    # The kit's picker lists the library's samples; each row can be dragged out too.
    item = drag_data(page, f".picker-item[data-sample-id='{hat.pk}']")
    assert item["draggable"] is True
    assert split_download_url(item["download"]) == ("audio/aiff", "Hat Open.aiff", hat_url)


def test_record_five_seconds_and_search_with_them(dig, page, live_server):
    """The microphone (Chromium's test tone) records, the browser sends it as WAV, and the
    page lists the library's samples nearest to it without keeping the recording."""
    page.click(".sound-panel summary")
    page.click(".sound-record")
    page.wait_for_selector(".sound-record:disabled")  # recording
    page.wait_for_url(re.compile(r"/sound-search/"), timeout=20_000)
    assert page.locator("h1").inner_text() == "Sounds like “recording.wav”"
    assert page.locator("#sample-rows tr").count() == len(SOUNDS)
    assert Sample.objects.count() == len(SOUNDS)

"""The library in a real browser: filter, search, play with the keyboard, tag, trash, restore."""

import pytest

from library.models import Sample
from tests import audiogen
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.browser.test_import import log_in
from tests.files import write_audio

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def uploaded(page, live_server, tmp_path, tasks_inline):
    """Log in and upload a small library of WAV, AIFF, FLAC and MP3 files through the page."""
    files = [
        write_audio(tmp_path / "Kick Deep.wav", audiogen.kick()),
        write_audio(tmp_path / "Snare Crack.aiff", audiogen.snare()),
        write_audio(tmp_path / "Keys A minor.flac", audiogen.chord("A", "minor", 4.0)),
        write_audio(tmp_path / "Beat 90.mp3", audiogen.drum_loop(90, 2)),
        write_audio(tmp_path / "Beat 140.wav", audiogen.drum_loop(140, 2)),
    ]
    return upload_and_wait(page, live_server, files)


def upload_and_wait(page, live_server, files):
    """Log in, upload the files through the library page, and wait until all are analysed."""
    log_in(page, live_server)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.set_input_files("input[type=file]:not([webkitdirectory])", [str(path) for path in files])
    page.wait_for_selector("#uploads li:has-text('Import finished')")
    page.wait_for_function(
        f"document.querySelectorAll('#sample-rows .status-ready').length === {len(files)}",
        timeout=60_000,
    )
    page.goto(live_server.url)
    return page


def visible_names(page) -> set[str]:
    return {
        name.strip()
        for name in page.locator("#sample-rows td.col-name > a:first-child").all_inner_texts()
    }


def test_filter_search_and_url_state(uploaded, live_server, screenshot):
    page = uploaded
    page.click("summary:has-text('Filters')")
    page.fill("input[name=bpm_min]", "80")
    page.fill("input[name=bpm_max]", "100")
    page.locator("input[name=bpm_max]").dispatch_event("change")
    page.wait_for_function("document.querySelectorAll('#sample-rows tr').length === 1")
    assert visible_names(page) == {"Beat 90"}
    assert "bpm_min=80" in page.url  # the filtered view can be bookmarked
    page.goto(page.url)
    assert visible_names(page) == {"Beat 90"}

    page.goto(live_server.url)
    page.fill("#id_q", "bd")
    page.wait_for_function("document.querySelectorAll('#sample-rows tr').length === 1")
    assert visible_names(page) == {"Kick Deep"}

    page.goto(f"{live_server.url}/?key=A&scale=minor")
    assert visible_names(page) == {"Keys A minor"}
    screenshot("library-filtered-laptop")


@pytest.mark.parametrize("name", ["Kick Deep", "Snare Crack", "Keys A minor", "Beat 90"])
def test_every_format_plays_in_the_browser(uploaded, name):
    page = uploaded
    row = page.locator("#sample-rows tr", has_text=name)
    row.locator(".play-button").click()
    page.wait_for_function(
        "() => { const a = document.getElementById('audition'); return a.currentTime > 0.05; }",
        timeout=10_000,
    )
    assert "playing" in (row.get_attribute("class") or "")


def test_a_click_on_a_rows_empty_space_plays_it(uploaded):
    page = uploaded
    row = page.locator("#sample-rows tr", has_text="Snare Crack")
    row.locator("td").nth(4).click()  # the Length cell
    page.wait_for_function("document.getElementById('audition').currentTime > 0.05", timeout=10_000)
    assert "playing" in (row.get_attribute("class") or "")
    assert page.evaluate("document.getElementById('audition').src").endswith(
        f"/samples/{Sample.objects.get(name='Snare Crack').pk}/audio/"
    )


def test_keyboard_audition(uploaded):
    page = uploaded
    page.locator("h1").click()
    page.keyboard.press("ArrowDown")
    first = page.locator("#sample-rows tr.selected")
    assert first.count() == 1
    page.wait_for_function("document.getElementById('audition').currentTime > 0.05", timeout=10_000)
    first_url = page.evaluate("document.getElementById('audition').src")
    page.keyboard.press("ArrowDown")
    page.wait_for_function(
        f"document.getElementById('audition').src !== {first_url!r}", timeout=10_000
    )
    page.keyboard.press(" ")
    page.wait_for_function("document.getElementById('audition').paused")
    # Each play is reported in the background; wait until the second report is in.
    for _ in range(50):
        if Sample.objects.exclude(last_played_at=None).count() == 2:
            break
        page.wait_for_timeout(100)
    assert Sample.objects.exclude(last_played_at=None).count() == 2


def test_tag_trash_and_restore(uploaded, live_server, screenshot):
    page = uploaded
    page.click("#sample-rows a:has-text('Kick Deep')")
    page.fill("#id_tag_name", "punchy")
    page.click("#sample-tags button:has-text('Add')")
    page.wait_for_selector("#sample-tags li:has-text('punchy')")
    screenshot("sample-page-laptop")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_no_horizontal_scroll(page)
    screenshot("sample-page-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Move to trash')")
    page.wait_for_url(f"{live_server.url}/")
    assert "Kick Deep" not in visible_names(page)
    page.goto(f"{live_server.url}/trash/")
    page.click("tr:has-text('Kick Deep') button:has-text('Restore')")
    page.goto(f"{live_server.url}/?tag=punchy")
    assert visible_names(page) == {"Kick Deep"}


def test_library_fits_a_phone(uploaded, screenshot):
    page = uploaded
    page.set_viewport_size({"width": 390, "height": 844})
    assert_no_horizontal_scroll(page)
    small = page.evaluate(
        """() => [...document.querySelectorAll('#sample-rows button, #sample-rows label.select-box, .mainnav a')]
              .filter(el => el.offsetParent && el.getBoundingClientRect().height < 44).length"""
    )
    assert small == 0, "touch targets must be at least 44 px tall"
    screenshot("library-phone")


def test_duplicates_scan_finds_the_copy_and_trash_returns_to_it(
    uploaded, live_server, tmp_path, screenshot
):
    page = uploaded
    copy = write_audio(tmp_path / "copies" / "Kick Deep copy.mp3", audiogen.kick())
    page.set_input_files("input[type=file]:not([webkitdirectory])", [str(copy)])
    page.wait_for_function(
        "document.querySelectorAll('#sample-rows .status-ready').length === 6", timeout=60_000
    )
    page.click("a:has-text('Duplicates')")
    page.click("button:has-text('Find duplicates')")
    group = page.locator(".duplicate-list").first
    group.wait_for()
    assert "Kick Deep copy" in group.inner_text() and "Snare" not in group.inner_text()
    screenshot("duplicates-laptop")
    page.click(".duplicate-list li:has-text('Kick Deep copy') button:has-text('Trash')")
    page.wait_for_url(f"{live_server.url}/duplicates/")
    assert page.locator(".duplicate-list").count() == 0


def test_bulk_add_to_kit_shows_the_kit_menu_and_fills_pads(uploaded, live_server):
    from kits.models import Kit

    page = uploaded
    kit = Kit.objects.create(owner=Sample.objects.first().owner, name="Dusty kit")
    page.reload()
    assert page.is_visible("#bulk-value") and not page.is_visible("#bulk-kit")
    page.select_option("#bulk-action", "kit")
    assert page.is_visible("#bulk-kit") and not page.is_visible("#bulk-value")
    page.check("tr:has-text('Kick Deep') input[name=samples]")
    page.check("tr:has-text('Snare Crack') input[name=samples]")
    page.click("button:has-text('Apply to selected')")
    page.wait_for_selector("text=Added 2 samples to “Dusty kit”")
    assert {pad.sample.name for pad in kit.pads.select_related("sample")} == {
        "Kick Deep",
        "Snare Crack",
    }


def test_rows_ticked_after_a_search_stay_ticked(uploaded):
    page = uploaded
    page.fill("#id_q", "beat")
    page.wait_for_function("document.querySelectorAll('#sample-rows tr').length === 2")
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    # The click leaves the search box: that must not send the search again.
    page.check("tr:has-text('Beat 90') input[name=samples]")
    page.check("tr:has-text('Beat 140') input[name=samples]")
    page.wait_for_timeout(600)
    assert not [url for url in requests if "q=beat" in url]
    assert page.locator("#sample-rows input[name=samples]:checked").count() == 2


def test_back_and_forward_set_the_fields_to_the_list_shown(uploaded):
    page = uploaded
    page.fill("#id_q", "beat")
    page.wait_for_function("document.querySelectorAll('#sample-rows tr').length === 2")
    page.select_option("select[name=sort]", "name")
    page.wait_for_url("**sort=name**")
    page.go_back()
    page.wait_for_url("**/?q=beat")
    assert page.input_value("#id_q") == "beat"
    assert page.input_value("select[name=sort]") == "relevance"
    page.go_back()
    page.wait_for_function("document.getElementById('id_q').value === ''")
    assert len(visible_names(page)) == 5
    page.go_forward()
    page.wait_for_function("document.getElementById('id_q').value === 'beat'")
    assert visible_names(page) == {"Beat 90", "Beat 140"}


def test_trashing_from_a_sample_page_returns_to_the_search(uploaded):
    page = uploaded
    page.fill("#id_q", "snare")
    page.wait_for_function("document.querySelectorAll('#sample-rows tr').length === 1")
    page.click("#sample-rows a:has-text('Snare Crack')")
    page.click("button:has-text('Move to trash')")
    page.wait_for_selector("text=is in the trash for 30 days")
    assert page.url.endswith("/?q=snare")
    assert page.input_value("#id_q") == "snare"


def test_a_long_unbroken_tag_does_not_widen_a_phone_page(uploaded, live_server):
    page = uploaded
    tag = "dustylofivinylcracklefromthefleamarketcrateofnineteenseventyfour"  # 64 characters
    page.click("#sample-rows a:has-text('Kick Deep')")
    page.fill("#id_tag_name", tag)
    page.click("#sample-tags button:has-text('Add')")
    page.wait_for_selector(f"#sample-tags li:has-text('{tag}')")
    page.set_viewport_size({"width": 390, "height": 844})
    for address in (page.url, f"{live_server.url}/", f"{live_server.url}/tags/"):
        page.goto(address)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{address} scrolls sideways by {overflow}px"

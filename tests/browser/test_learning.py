"""Notes and corrections in a real browser: the 808's note in the list, a correction passed on."""

import pytest

from library.models import Sample
from tests import audiogen
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.browser.test_library import upload_and_wait
from tests.files import write_audio

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def toms_and_808(page, live_server, tmp_path, tasks_inline):
    files = [
        write_audio(tmp_path / f"take {n}.wav", audiogen.tom(pitch_hz=hz, seed=n))
        for n, hz in enumerate((100.0, 104.0, 108.0), start=1)
    ]
    files.append(write_audio(tmp_path / "sub.wav", audiogen.long_808(seconds=2.0, midi=29)))
    return upload_and_wait(page, live_server, files)


def test_the_note_shows_and_a_correction_is_passed_on(toms_and_808, live_server, screenshot):
    page = toms_and_808
    row = page.locator("#sample-rows tr", has_text="sub")
    assert row.locator(".note").inner_text() == "F1"
    page.click(".filter-panel summary")
    page.select_option("#id_note", "F")
    page.wait_for_function("document.querySelectorAll('#sample-rows tr').length === 1")
    assert "note=F" in page.url

    page.goto(live_server.url)
    page.click("#sample-rows td.col-name a:text-is('take 1')")
    page.select_option("#id_category", "percussion")
    page.click(".edit-form button[type=submit]")
    offer = page.locator(".relabel-offer")
    offer.wait_for()
    assert "call them Percussion too?" in offer.locator("h2").inner_text()
    assert offer.locator("input[name=samples]:checked").count() == 2
    screenshot("relabel-offer")
    offer.locator("button[type=submit]").click()
    page.wait_for_selector("text=Called 2 similar samples Percussion.")
    categories = dict(Sample.objects.values_list("name", "category"))
    assert categories["take 2"] == categories["take 3"] == "percussion"
    page.set_viewport_size({"width": 390, "height": 844})
    assert_no_horizontal_scroll(page)

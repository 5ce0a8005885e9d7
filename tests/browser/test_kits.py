"""Building a kit in a real browser: drag samples onto pads, move a pad, click and keyboard."""

import pytest
from django.contrib.auth import get_user_model

from kits.models import Kit
from library.models import Sample
from tests.browser.conftest import assert_no_horizontal_scroll
from tests.browser.test_import import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Everything a finger or a mouse aims at on the kit page.
TARGETS = ".bank-tab, .pad-hit, .picker-item .play-button, .picker-select, .kit-actions .button, .kit-actions button, #picker-q, .picker-filters summary, .kit-settings summary"  # fmt: skip


@pytest.fixture
def kit_page(page, live_server):
    log_in(page, live_server)
    owner = get_user_model().objects.get(username="mpc")
    number = iter(range(1, 100))

    def sample(name, **fields):
        digest = f"{next(number):064x}"
        return Sample.objects.create(
            owner=owner, name=name, file=f"audio/{digest}.wav", original_filename=f"{name}.wav",
            sha256=digest, file_size=1000, format="wav", duration=fields.pop("duration", 0.5),
            sample_rate=48000, channels=2, bit_depth=16, status="ready", **fields,
        )  # fmt: skip

    sample("Kick Deep", kind="one-shot", category="kick")
    sample("Snare Crack", kind="one-shot", category="snare")
    sample("Hat Closed", kind="one-shot", category="closed_hat")
    sample("Keys 90 Am", kind="loop", category="melodic_loop", tempo_bpm=90, key="A",
           scale="minor", duration=8.0)  # fmt: skip
    sample("Beat 120", kind="loop", category="drum_loop", tempo_bpm=120, duration=8.0)
    kit = Kit.objects.create(owner=owner, name="Late night", tempo_bpm=90, key="A", scale="minor")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/kits/{kit.pk}/")
    return kit


def drag_sample(page, name, pad_id):
    # Playwright's drag cannot scroll mid-drag: bring the pad into view first (the
    # picker is sticky, so it stays in view too).
    page.locator(f"#{pad_id}").scroll_into_view_if_needed()
    page.drag_and_drop(f".picker-item:has-text('{name}')", f"#{pad_id}")
    page.wait_for_selector(f"#{pad_id}.filled:has-text('{name}')")


def assert_touch_targets(page, minimum=44):
    small = page.evaluate(
        """([selector, minimum]) => [...document.querySelectorAll(selector)]
            .filter((el) => el.offsetParent !== null)
            .map((el) => [el.className || el.id, el.getBoundingClientRect()])
            .filter(([, box]) => box.width < minimum || box.height < minimum)
            .map(([name, box]) => `${name} ${Math.round(box.width)}x${Math.round(box.height)}`)""",
        [TARGETS, minimum],
    )
    assert small == [], f"touch targets under {minimum}px: {small}"


def test_build_a_kit_by_dragging_samples_onto_pads(page, kit_page, screenshot):
    kit = kit_page
    drag_sample(page, "Kick Deep", "pad-A-13")
    drag_sample(page, "Snare Crack", "pad-A-14")
    drag_sample(page, "Keys 90 Am", "pad-A-1")
    assert page.locator("#bank-count-A").inner_text().startswith("3")
    assert "3 / 160" in page.locator("#kit-summary").inner_text()

    # A pad dragged onto an empty pad moves; onto a taken pad, the two swap.
    page.drag_and_drop("#pad-A-13", "#pad-A-16")
    page.wait_for_selector("#pad-A-13.empty")
    page.drag_and_drop("#pad-A-16", "#pad-A-14")
    page.wait_for_selector("#pad-A-16.filled:has-text('Snare Crack')")
    assert "Kick Deep" in page.locator("#pad-A-14").inner_text()

    # Without a mouse: select a sample, then a pad (click, then keyboard).
    page.click(".picker-item:has-text('Hat Closed') .picker-select")
    page.click("#pad-A-15 .pad-hit")
    page.wait_for_selector("#pad-A-15.filled:has-text('Hat Closed')")
    assert page.locator("#kit-status").inner_text() == "Hat Closed → pad A15"
    page.focus(".picker-item:has-text('Beat 120') .picker-select")
    page.keyboard.press("Enter")
    page.focus("#pad-A-2 .pad-hit")
    page.keyboard.press("Enter")
    page.wait_for_selector("#pad-A-2.filled:has-text('Beat 120')")
    assert page.locator("#pad-A-2 .pad-warning").count() == 1  # 120 BPM loop in a 90 BPM kit

    pads = dict(kit.pads.values_list("pad_number", "sample__name"))
    assert pads == {1: "Keys 90 Am", 2: "Beat 120", 14: "Kick Deep", 15: "Hat Closed", 16: "Snare Crack"}  # fmt: skip

    # Bank tabs swap the grid; the counters follow.
    page.click("#bank-panel .bank-tab:has-text('B')")
    page.wait_for_selector("#pad-B-1")
    drag_sample(page, "Kick Deep", "pad-B-13")
    assert page.locator("#bank-count-B").inner_text().startswith("1")
    page.click("#bank-panel .bank-tab:has-text('A')")
    page.wait_for_selector("#pad-A-1.filled")

    page.reload()
    assert_no_horizontal_scroll(page)
    assert_touch_targets(page)
    screenshot("kit-page-laptop")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert_no_horizontal_scroll(page)
    assert_touch_targets(page)
    screenshot("kit-page-phone")

    # On a phone the picker is far below the pads: selecting brings the pads back.
    page.locator(".picker-item:has-text('Kick Deep') .picker-select").scroll_into_view_if_needed()
    page.click(".picker-item:has-text('Kick Deep') .picker-select")
    page.wait_for_function(
        "document.getElementById('kit-status').getBoundingClientRect().top"
        " >= document.querySelector('.topbar').getBoundingClientRect().bottom"
        " && document.getElementById('kit-status').getBoundingClientRect().bottom < innerHeight"
    )
    assert page.locator("#kit-status").inner_text().startswith("Placing Kick Deep")


def test_pad_editor_sets_options_and_clears(page, kit_page):
    kit = kit_page
    drag_sample(page, "Kick Deep", "pad-A-13")
    page.click("#pad-A-13 .pad-hit")
    page.wait_for_selector("#pad-editor h2:has-text('Pad A13')")
    page.fill("#pad-editor input[name=volume]", "90")
    page.check("#pad-editor input[name=reverse]")
    page.click("#pad-editor button:has-text('Save pad')")
    page.wait_for_function("!document.querySelector('#pad-editor.htmx-request')")
    page.wait_for_timeout(300)
    pad = kit.pads.get()
    assert (pad.volume, pad.reverse) == (90, True)
    # Delete on a focused pad asks first; a second press clears it.
    page.focus("#pad-A-13 .pad-hit")
    page.keyboard.press("Delete")
    assert "again to clear pad A13" in page.locator("#kit-status").inner_text()
    page.wait_for_timeout(300)
    assert kit.pads.exists()
    page.keyboard.press("Delete")
    page.wait_for_selector("#pad-A-13.empty")
    assert not kit.pads.exists()
    drag_sample(page, "Kick Deep", "pad-A-13")
    page.click("#pad-A-13 .pad-hit")
    page.wait_for_selector("#pad-editor h2:has-text('Pad A13')")
    page.click("#pad-editor button:has-text('Clear pad')")
    page.wait_for_selector("#pad-A-13.empty")
    assert page.locator("#pad-editor .suggestions li", has_text="Kick Deep").count() == 1
    assert not kit.pads.exists()


def test_what_depends_on_the_bank_follows_the_tab(page, kit_page, live_server):
    page.click(".bank-tab[href='?bank=D']")
    page.wait_for_selector("#bank-panel[data-bank='D']")
    assert page.inner_text("#fill-bank-link") == "Fill bank D…"
    assert page.get_attribute("#settings-bank", "value") == "D"
    assert page.get_attribute("#picker-bank", "value") == "D"
    page.wait_for_function(
        "[...document.querySelectorAll('.picker-select')].every(a => a.href.includes('bank=D'))"
    )
    page.click("#fill-bank-link")
    page.wait_for_selector("h1:has-text('Fill bank D')")
    assert "bank=D" in page.url


LONG_NAMES = ["hihat_closed02_from_the_vintage_pack", "KICK-808-SUBBY-LONG-TAIL-C1", "Rhodes chord stab with tape wobble 92bpm"]  # fmt: skip


def test_long_names_fit_a_phone_without_breaking_mid_word(page, kit_page, live_server, screenshot):
    owner = kit_page.owner
    for number, name in enumerate(LONG_NAMES, start=1):
        digest = f"{1000 + number:064x}"
        sample = Sample.objects.create(
            owner=owner, name=name, file=f"audio/{digest}.wav", original_filename=f"{name}.wav",
            sha256=digest, file_size=1000, format="wav", duration=0.5, sample_rate=48000,
            channels=2, bit_depth=16, status="ready", kind="one-shot", category="closed_hat",
        )  # fmt: skip
        kit_page.assign("A", number, sample)
    page.set_viewport_size({"width": 390, "height": 844})
    for url in (f"/kits/{kit_page.pk}/", "/", f"/samples/{sample.pk}/"):
        page.goto(live_server.url + url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
    page.goto(f"{live_server.url}/kits/{kit_page.pk}/")
    screenshot("kit-long-names-phone")
    first = page.locator("#pad-A-1 .pad-name")
    assert first.get_attribute("title") == LONG_NAMES[0]
    # Lines end only where the name allows it (after "_", "-", a space), never inside a word.
    breaks = page.evaluate(
        """(el) => {
            const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
            const chars = [];
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              for (let i = 0; i < node.length; i++) {
                const range = document.createRange();
                range.setStart(node, i); range.setEnd(node, i + 1);
                chars.push([node.data[i], range.getBoundingClientRect().top]);
              }
            }
            const found = [];
            for (let i = 1; i < chars.length; i++) {
              if (chars[i][1] > chars[i - 1][1] + 2) found.push(chars[i - 1][0]);
            }
            return found; }""",
        first.element_handle(),
    )
    assert breaks and all(char in "_- " for char in breaks), breaks

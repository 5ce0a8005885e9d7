"""Loops heard at another tempo in a real browser: the loop's page and a kit at its own tempo."""

import pytest
from django.contrib.auth import get_user_model
from django_q.models import OrmQ

from kits.models import Kit
from library.tasks import make_stretched_preview
from tests.browser.test_chop import BARS, BPM, import_loop
from tests.browser.test_import import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECONDS = BARS * 4 * 60 / BPM
STRETCH_TASK = "library.tasks.make_stretched_preview"


def run_queued_stretch(page) -> float:
    """Do what the worker would: the one stretch the page queued; returns its tempo."""
    page.wait_for_function("() => document.querySelector('.stretching') !== null")
    for _ in range(100):
        queued = [task for task in OrmQ.objects.all() if task.func() == STRETCH_TASK]
        if queued:
            break
        page.wait_for_timeout(50)
    (task,) = queued  # The import's analysis is queued beside it, and stays there.
    sample_id, bpm = task.task["args"]
    make_stretched_preview(sample_id, bpm)
    task.delete()
    return bpm


def audio_duration(page) -> float:
    page.wait_for_function(
        "() => { const a = document.querySelector('audio'); return a && a.duration > 0; }"
    )
    return page.evaluate("() => document.querySelector('audio').duration")


def test_a_loop_plays_at_the_tempo_asked_for_once_stretched(
    page, live_server, tmp_path, screenshot
):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server)
    owner = get_user_model().objects.get(username="mpc")
    loop = import_loop(owner, tmp_path)
    page.goto(f"{live_server.url}/samples/{loop.pk}/")
    page.fill("#play-bpm", "80")
    page.locator("#play-bpm").dispatch_event("change")

    page.click(".player .play-button")
    assert audio_duration(page) == pytest.approx(SECONDS, abs=0.05)  # as it is, meanwhile
    assert page.locator(".player.stretching").count() == 1
    screenshot("tempo-stretching")
    assert run_queued_stretch(page) == 80.0

    page.wait_for_function("() => !document.querySelector('.player.stretching')")
    page.wait_for_function("() => document.querySelector('audio').src.includes('bpm=80')")
    assert audio_duration(page) == pytest.approx(SECONDS * BPM / 80, abs=0.05)
    # The setting stays for the next page; an empty one plays loops as they are.
    page.reload()
    assert page.input_value("#play-bpm") == "80"
    assert errors == []


def test_a_kits_loops_play_at_the_kits_tempo(page, live_server, tmp_path):
    log_in(page, live_server)
    owner = get_user_model().objects.get(username="mpc")
    loop = import_loop(owner, tmp_path)
    kit = Kit.objects.create(owner=owner, name="Slow", tempo_bpm=90)
    kit.assign("A", 1, loop)
    page.goto(f"{live_server.url}/kits/{kit.pk}/?bank=A")
    # The pad's own play button, as the kit page's pad click uses it.
    page.evaluate("() => document.querySelector('#pad-A-1 .play-button').click()")
    assert run_queued_stretch(page) == 90.0
    page.wait_for_function("() => document.querySelector('audio').src.includes('bpm=90')")
    assert audio_duration(page) == pytest.approx(SECONDS * BPM / 90, abs=0.05)

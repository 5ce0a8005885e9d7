"""Loops heard at another tempo: stretched with their pitch kept, made once in the background."""

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.urls import reverse
from django_q.models import OrmQ

from imports.importing import import_file
from library.analysis import analyze
from library.models import Sample
from library.stretching import stretch
from library.tasks import analyze_sample, make_stretched_preview
from tests import audiogen

RATE = 44100


def test_a_stretch_gives_exactly_the_frames_asked_for_at_the_same_pitch():
    seconds = np.arange(2 * RATE) / RATE
    tone = (0.5 * np.sin(2 * np.pi * 440 * seconds)).astype(np.float32)[:, None]
    longer = stretch(tone, RATE, 1.25)
    assert longer.shape == (round(2 * RATE * 1.25), 1)
    spectrum = np.abs(np.fft.rfft(longer[RATE // 2 : RATE // 2 + RATE, 0]))
    assert np.argmax(spectrum) == pytest.approx(440, abs=2)  # 1 Hz bins over one second


def test_a_stretched_loop_reads_at_its_new_tempo(tmp_path):
    loop = audiogen.stereo(audiogen.drum_loop(100, 4, RATE)).astype(np.float32)
    path = tmp_path / "at90.wav"
    sf.write(path, stretch(loop, RATE, 100 / 90), RATE)
    assert analyze(path).bpm == pytest.approx(90, abs=0.5)


@pytest.fixture
def loop(user, tmp_path):
    path = tmp_path / "Beat 100.wav"
    sf.write(path, audiogen.drum_loop(100, 2, RATE), RATE, subtype="PCM_16")
    sample = import_file(user, path, path.name).sample
    analyze_sample(sample.pk)
    sample.refresh_from_db()
    assert sample.kind == Sample.Kind.LOOP and sample.tempo_bpm == pytest.approx(100, abs=0.5)
    return sample


@pytest.mark.django_db
def test_a_loop_is_stretched_once_in_the_background_then_served(client_for, user, loop):
    client = client_for(user)
    status = reverse("library:stretched", args=[loop.pk])
    assert client.get(status, {"bpm": "90"}).json() == {"state": "stretching"}
    assert client.get(status, {"bpm": "90"}).json() == {"state": "stretching"}
    assert OrmQ.objects.count() == 1  # asked twice, queued once

    make_stretched_preview(loop.pk, 90.0)
    answer = client.get(status, {"bpm": "90"}).json()
    assert answer["state"] == "ready"
    response = client.get(answer["url"])
    audio, rate = sf.read(io.BytesIO(b"".join(response.streaming_content)), always_2d=True)
    assert rate == RATE
    assert len(audio) == round(sf.info(loop.file.path).frames * loop.tempo_bpm / 90)


@pytest.mark.django_db
def test_one_shots_their_own_tempo_and_wild_tempos_play_as_they_are(
    client_for, user, loop, make_sample
):
    client = client_for(user)
    one_shot = make_sample(user, kind="one-shot", tempo_bpm=None)
    assert client.get(reverse("library:stretched", args=[one_shot.pk]), {"bpm": 90}).json() == {
        "state": "as-is"
    }
    status = reverse("library:stretched", args=[loop.pk])
    for bpm in (f"{loop.tempo_bpm:.2f}", "1000", "10", "x"):
        assert client.get(status, {"bpm": bpm}).json() == {"state": "as-is"}, bpm
    assert not OrmQ.objects.exists()
    # Without a stretched preview, ?bpm= plays the loop as it is.
    response = client.get(reverse("library:audio", args=[loop.pk]), {"bpm": "90"})
    assert b"".join(response.streaming_content) == Path(loop.file.path).read_bytes()


@pytest.mark.django_db
def test_rows_of_loops_say_their_tempo_and_where_to_ask_for_another(client_for, user, loop):
    html = client_for(user).get(reverse("library:index")).content.decode()
    stretch_url = reverse("library:stretched", args=[loop.pk])
    assert f'data-tempo="{loop.tempo_bpm:.2f}" data-stretch-url="{stretch_url}"' in html
    assert 'id="play-bpm"' in html


@pytest.mark.django_db
def test_a_corrected_tempo_makes_another_preview(loop):
    from library.audio import stretched_name

    before = stretched_name(loop, 90.0)
    loop.save(update_fields=loop.set_by_user(tempo_bpm=50.0))
    assert stretched_name(loop, 90.0) != before


@pytest.mark.django_db
def test_stretched_previews_are_a_cache_integrity_leaves_alone_and_old_ones_go(loop):
    import os
    import time

    from core.integrity import run
    from library.audio import stretched_path
    from library.storage import remove_leftovers

    make_stretched_preview(loop.pk, 90.0)
    path = stretched_path(loop, 90.0)
    assert path.is_file()
    assert not [problem for problem in run() if "stretched" in problem.message]
    assert remove_leftovers() == 0  # played recently: kept
    month_ago = time.time() - 31 * 86400
    os.utime(path, (month_ago, month_ago))
    assert remove_leftovers() == 1
    assert not path.exists()

"""Samples dragged out of the browser: the original file, or the SP-404MK2-ready version."""

import io

import pytest
import soundfile as sf
from django.urls import reverse

from imports.importing import import_file
from kits.models import Kit
from library import slicing
from tests import audiogen

pytestmark = pytest.mark.django_db


@pytest.fixture
def snare(user, tmp_path):
    """A real 96 kHz 24-bit stereo snare, imported (not analysed: a download needs no analysis)."""
    path = tmp_path / "Snare: Dusty, Crack!.aiff"
    sf.write(path, audiogen.stereo(audiogen.snare(96000)), 96000, subtype="PCM_24")
    return import_file(user, path, path.name).sample


def test_the_original_comes_back_byte_for_byte_under_its_own_name(
    client_for, user, snare, tmp_path
):
    response = client_for(user).get(reverse("library:download", args=[snare.pk]))
    assert response.status_code == 200
    assert (
        b"".join(response.streaming_content)
        == (tmp_path / "Snare: Dusty, Crack!.aiff").read_bytes()
    )
    assert "attachment" in response["Content-Disposition"]
    assert "Crack!.aiff" in response["Content-Disposition"]


def test_the_sp404_version_is_a_48k_16bit_wav_with_a_safe_name(client_for, user, snare):
    response = client_for(user).get(
        reverse("library:download", args=[snare.pk]), {"version": "sp404"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    info = sf.info(io.BytesIO(response.content))
    assert (info.samplerate, info.subtype, info.channels) == (48000, "PCM_16", 2)
    assert info.frames == pytest.approx(snare.duration * 48000, abs=2)
    name = response["Content-Disposition"].split("filename=")[1].strip('"')
    assert name.endswith(".wav") and name.isascii() and len(name) <= 23 + 4 and ":" not in name


def test_a_slice_downloads_as_its_frames(client_for, user, snare):
    (first, _rest) = slicing.chop(snare, [9600]).slices
    client = client_for(user)
    original = client.get(reverse("library:download", args=[first.pk]))
    assert sf.info(io.BytesIO(original.content)).frames == 9600
    ready = client.get(reverse("library:download", args=[first.pk]), {"version": "sp404"})
    assert sf.info(io.BytesIO(ready.content)).frames == 4800  # 9600 frames at 96 kHz, at 48 kHz


def test_an_unknown_version_or_another_users_sample_is_not_found(
    client_for, other_user, user, snare
):
    url = reverse("library:download", args=[snare.pk])
    assert client_for(user).get(url, {"version": "mp3"}).status_code == 404
    assert client_for(other_user).get(url).status_code == 404


def test_list_rows_and_kit_pads_carry_what_a_drag_out_needs(client_for, user, snare):
    client = client_for(user)
    html = client.get(reverse("library:index")).content.decode()
    url = reverse("library:download", args=[snare.pk])
    assert f'draggable="true" data-download-url="{url}"' in html
    assert 'data-download-name="Snare: Dusty, Crack!.aiff"' in html
    assert 'data-download-type="audio/aiff"' in html
    assert 'data-sp404-name="' in html
    kit = Kit.objects.create(owner=user, name="Out")
    kit.assign("A", 1, snare)
    page = client.get(reverse("kits:kit_detail", args=[kit.pk])).content.decode()
    assert page.count(f'data-download-url="{url}"') == 2  # the pad and the picker's row

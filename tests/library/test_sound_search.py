"""Searching the library with a sound that is not in it: a dropped file or a recording."""

import io

import numpy as np
import pytest
import soundfile as sf
import soxr
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.importing import import_file
from library.models import Sample
from library.tasks import analyze_samples
from tests import audiogen

pytestmark = pytest.mark.django_db
RATE = 44100
SOUNDS = {
    "Kick Deep.wav": audiogen.kick(RATE),
    "Snare Crack.wav": audiogen.snare(RATE),
    "Clap Wide.wav": audiogen.clap(RATE),
    "Hat Closed.wav": audiogen.closed_hat(RATE),
    "Hat Open.wav": audiogen.open_hat(RATE),
    "Tom Low.wav": audiogen.tom(RATE),
    "Bass A1.wav": audiogen.bass_note(33, 1.5, RATE),
    "Keys Am.wav": audiogen.chord("A", "minor", 2.0, RATE),
    "Beat 100.wav": audiogen.drum_loop(100, 2, RATE),
}


@pytest.fixture
def library(user, tmp_path):
    """Nine real sounds, imported and analysed."""
    folder = tmp_path / "src"
    folder.mkdir()
    for name, audio in SOUNDS.items():
        sf.write(folder / name, audio, RATE, subtype="PCM_16")
        import_file(user, folder / name, name)
    analyze_samples(list(Sample.objects.values_list("pk", flat=True)))
    assert Sample.objects.ready().count() == len(SOUNDS)
    return {sample.name: sample for sample in Sample.objects.all()}


def reencoded(audio, *, keep: float, rate: int, format: str) -> bytes:
    """The sound trimmed to its first ``keep`` share, resampled and written in another format."""
    trimmed = audio[: int(len(audio) * keep)]
    buffer = io.BytesIO()
    subtype = "MPEG_LAYER_III" if format == "MP3" else "PCM_16"
    sf.write(buffer, soxr.resample(trimmed, RATE, rate), rate, format=format, subtype=subtype)
    return buffer.getvalue()


def search(client, data: bytes, name: str, query: str = ""):
    clip = SimpleUploadedFile(name, data, content_type="audio/mpeg")
    url = reverse("library:sound_search") + (f"?{query}" if query else "")
    return client.post(url, {"clip": clip})


@pytest.mark.parametrize(
    "name", ["Snare Crack", "Hat Open", "Keys Am", "Beat 100", "Tom Low", "Bass A1"]
)
def test_a_reencoded_trimmed_copy_finds_its_sample_first(client_for, user, library, name):
    audio = SOUNDS[f"{name}.wav"]
    data = reencoded(audio, keep=0.85, rate=48000, format="MP3")
    response = search(client_for(user), data, "copy.mp3")
    assert response.status_code == 200
    found = [row.name for row in response.context["samples"]]
    assert found[0] == name, found[:3]
    assert not Sample.objects.filter(name__icontains="copy").exists()  # compared, not kept
    assert Sample.objects.count() == len(SOUNDS)


def test_the_search_keeps_to_the_filters(client_for, user, library):
    data = reencoded(SOUNDS["Snare Crack.wav"], keep=0.9, rate=44100, format="FLAC")
    response = search(client_for(user), data, "snare.flac", "category=kick")
    assert [row.name for row in response.context["samples"]] == ["Kick Deep"]
    assert "within your filters" in response.content.decode()


def test_a_file_that_is_not_audio_says_so(client_for, user, library):
    response = search(client_for(user), b"not audio at all" * 100, "notes.wav")
    assert response.status_code == 200
    assert response.context["samples"] == []
    assert response.context["form"].errors["clip"]


def test_silence_says_there_is_nothing_to_compare(client_for, user, library):
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(RATE), RATE, format="WAV")
    response = search(client_for(user), buffer.getvalue(), "silence.wav")
    assert "The sound is silent" in response.content.decode()


def test_only_signed_in_users_search_their_own_library(client, client_for, other_user, library):
    data = reencoded(SOUNDS["Snare Crack.wav"], keep=0.9, rate=44100, format="FLAC")
    assert search(client, data, "x.flac").status_code == 302
    assert search(client_for(other_user), data, "x.flac").context["samples"] == []


def test_a_results_address_opened_again_goes_back_to_the_filtered_library(client_for, user):
    response = client_for(user).get(reverse("library:sound_search"), {"category": "kick"})
    assert response.status_code == 302
    assert response.url == reverse("library:index") + "?category=kick"


def test_the_library_page_offers_the_search(client_for, user):
    html = client_for(user).get(reverse("library:index")).content.decode()
    assert 'id="sound-search"' in html and 'enctype="multipart/form-data"' in html


def test_what_a_sounds_length_changes_does_not_decide_its_nearest(user, make_sample, make_features):
    """A recording is a part of what it should find: five seconds of a ten-second loop."""
    from library.analysis import FEATURE_NAMES
    from library.similarity import forget_indexes, sounds_like

    rng = np.random.default_rng(5)
    query = rng.normal(size=len(FEATURE_NAMES)).astype(np.float32)
    longer = query.copy()  # The same sound, twice as long.
    for name, change in {
        "log_duration": 0.69,
        "temporal_centroid": 0.2,
        "log_decay_time": 0.5,
    }.items():
        longer[FEATURE_NAMES.index(name)] += change
    other = query.copy()  # Another sound of the recording's length, a little different.
    other[FEATURE_NAMES.index("log_spectral_centroid")] += 0.1
    for name, vector in {"Longer": longer, "Other": other}.items():
        sample = make_sample(user, name=name, status="ready")
        make_features(sample, feature_vector=vector.tobytes())
    forget_indexes()
    nearest = sounds_like(user, query.tolist(), limit=2)
    names = dict(Sample.objects.values_list("pk", "name"))
    assert [names[sample_id] for sample_id, _score in nearest] == ["Longer", "Other"]


def test_only_the_first_thirty_seconds_are_decoded(tmp_path):
    from library.analysis import load_audio

    path = tmp_path / "long.wav"
    sf.write(path, np.zeros((40 * 8000, 2)), 8000)
    decoded = load_audio(path, max_seconds=30)
    assert decoded.samples.shape == (30 * 8000, 2)
    assert decoded.info.duration == 30.0

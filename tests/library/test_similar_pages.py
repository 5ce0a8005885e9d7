"""The Similar and Duplicates pages."""

import pytest
import soundfile as sf
from django.urls import reverse

from library.importing import import_file
from library.tasks import analyze_sample
from tests import audiogen

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(user, tmp_path):
    """A few analysed sounds and an MP3 copy of the kick."""
    sounds = {
        "kick.wav": audiogen.kick(),
        "snare.wav": audiogen.snare(),
        "hat.wav": audiogen.closed_hat(),
        "chords.wav": audiogen.chord("C", "major", 2.0),
        "beat.wav": audiogen.drum_loop(100, 1),
    }
    samples = {}
    for name, audio in sounds.items():
        path = tmp_path / name
        sf.write(path, audio, audiogen.SR)
        samples[name] = import_file(user, path, name).sample
    copy = tmp_path / "kick copy.mp3"
    sf.write(copy, audiogen.kick(), audiogen.SR, format="MP3")
    samples["kick copy.mp3"] = import_file(user, copy, copy.name).sample
    for sample in samples.values():
        analyze_sample(sample.pk)
    return samples


def test_similar_page_puts_the_reencoded_copy_first(client_for, user, library):
    kick = library["kick.wav"]
    response = client_for(user).get(reverse("library:similar", args=[kick.pk]))
    names = [sample.name for sample in response.context["samples"]]
    assert names[0] == "kick copy"
    assert "kick" not in names  # never itself


def test_similar_within_the_current_filters(client_for, user, library):
    kick = library["kick.wav"]
    response = client_for(user).get(reverse("library:similar", args=[kick.pk]), {"kind": "loop"})
    assert [sample.name for sample in response.context["samples"]] == ["beat"]


def test_similar_is_owner_only(client_for, other_user, library):
    url = reverse("library:similar", args=[library["kick.wav"].pk])
    assert client_for(other_user).get(url).status_code == 404


def test_duplicates_page_lists_the_copy(client_for, user, library):
    response = client_for(user).get(reverse("library:duplicates"))
    groups = response.context["groups"]
    assert any({s.name for s in samples} == {"kick", "kick copy"} for _reason, samples in groups)
    assert not any("snare" in {s.name for s in samples} for _reason, samples in groups)

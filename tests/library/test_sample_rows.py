"""The list's rows, drawn in Python (library/templatetags/sample_rows.py): escaped as a template would."""

import re

import pytest
from django.urls import reverse

from library.models import AudioFeatures

pytestmark = pytest.mark.django_db
HOSTILE = """<b onclick="x">Kick</b> & 'co'"""
ESCAPED = "&lt;b onclick=&quot;x&quot;&gt;Kick&lt;/b&gt; &amp; &#x27;co&#x27;"


def row_of(client, sample, **params) -> str:
    html = client.get(reverse("library:index"), params).content.decode()
    match = re.search(rf'<tr id="sample-{sample.pk}".*?</tr>', html, re.S)
    assert match, f"no row for sample {sample.pk}"
    return match.group(0)


def test_every_text_of_a_row_is_escaped(client_for, user, make_sample):
    sample = make_sample(user, name=HOSTILE, source_path=f"Packs/{HOSTILE}", status="failed",
                         error=HOSTILE)  # fmt: skip
    sample.add_tag(HOSTILE)

    row = row_of(client_for(user), sample)

    assert "<b onclick" not in row and "'co'" not in row
    assert f'aria-label="Select {ESCAPED}"' in row
    assert f'title="{ESCAPED}"' in row  # The name's link, and the error on the status.
    assert f'<span class="tag">{ESCAPED}</span>' in row
    assert f'title="Show this folder">Packs/{ESCAPED}</a>' in row


def test_a_folder_link_keeps_its_slashes_and_encodes_the_rest(client_for, user, make_sample):
    sample = make_sample(user, source_path="Drums & Co/Kicks #1")

    row = row_of(client_for(user), sample)

    assert 'href="/?folder=Drums%20%26%20Co/Kicks%20%231"' in row


def test_a_ready_row_links_similar_sounds_and_draws_its_waveform(client_for, user, make_sample):
    sample = make_sample(user, status="ready", name="Tape_Kick-01.wav", key="A", scale="minor",
                         tempo_bpm=92.5, kind="loop")  # fmt: skip
    AudioFeatures.objects.create(
        sample=sample, onset_rate=1.0, kind="loop", kind_confidence=0.9, category="kick",
        category_confidence=0.9, spectral_centroid=1.0, spectral_rolloff=1.0,
        spectral_bandwidth=1.0, spectral_flatness=0.1, zero_crossing_rate=0.1, rms=0.1, peak=0.5,
        harmonic_ratio=0.1, feature_vector=b"", waveform_thumbnail="M0 1L2 3",
    )  # fmt: skip
    pending = make_sample(user, status="pending")
    client = client_for(user)

    row = row_of(client, sample)
    waiting = row_of(client, pending)

    assert f'href="{reverse("library:similar", args=[sample.pk])}"' in row
    assert '<path d="M0 1L2 3"' in row
    assert "Tape_<wbr>Kick-<wbr>01.<wbr>wav" in row  # Lines may break after _ - and .
    assert "<td>A minor</td>" in row and "<td>92.5</td>" in row and "<td>Loop</td>" in row
    assert "hx-trigger" not in row
    assert f'hx-get="{reverse("library:sample_row", args=[pending.pk])}"' in waiting
    assert "similar-link" not in waiting and "<path" not in waiting

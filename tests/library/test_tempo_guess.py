"""Tempos the analysis is unsure of are shown as guesses, in the list and on the sample page."""

import re

import pytest
from django.urls import reverse

from library.models import Sample
from library.models.samples import CONFIDENT_TEMPO
from tests.library.pages import detail_html, list_queries, row_html

pytestmark = pytest.mark.django_db
GUESS = 'class="tempo-guess"'


@pytest.fixture
def timed(user, make_sample, make_features):
    """A ready loop at 86 BPM whose tempo the analysis was ``confidence`` sure of."""

    def make(confidence, **fields):
        fields.setdefault("category", "melodic_loop")
        sample = make_sample(user, tempo_bpm=86.0, kind="loop", status="ready", **fields)
        make_features(sample, kind="loop", tempo_confidence=confidence)
        return sample

    return make


def test_a_low_confidence_tempo_is_marked_as_a_guess_in_its_row(client_for, user, timed):
    guessed = timed(0.42)

    row = row_html(client_for(user), guessed)

    assert 'title="Guessed from the sound, 42% sure; it may be half or double"' in row
    assert re.search(r'86\.0<span class="guess-mark" aria-hidden="true">\?</span>', row)
    assert "(guessed from the sound, 42% sure; it may be half or double)" in row


@pytest.mark.parametrize(
    ("confidence", "fields"),
    [
        (0.93, {}),
        (CONFIDENT_TEMPO, {}),
        (0.2, {"tempo_set_by_user": True}),
        (0.2, {"category": "drum_loop"}),
    ],
    ids=["confident", "at-the-threshold", "set-by-user", "drum-loop"],
)
def test_a_trusted_tempo_shows_as_before(client_for, user, timed, confidence, fields):
    sample = timed(confidence, **fields)

    row = row_html(client_for(user), sample)

    assert GUESS not in row
    assert "<td>86.0</td>" in row


def test_a_tempo_without_measured_features_is_not_called_a_guess(user, make_sample):
    sample = make_sample(user, tempo_bpm=120.0, kind="loop")
    assert not sample.tempo_is_guess
    assert Sample(tempo_bpm=120.0).tempo_confidence is None


def test_the_sample_page_says_the_tempo_is_a_guess_and_offers_half_and_double(
    client_for, user, timed
):
    guessed = timed(0.31)

    html = detail_html(client_for(user), guessed)

    assert GUESS in html
    assert "(guessed from the sound, 31% sure; it may be half or double)" in html
    assert 'value="half"' in html and 'value="double"' in html


def test_doubling_a_guessed_tempo_makes_it_the_users(client_for, user, timed):
    guessed = timed(0.31)
    client = client_for(user)

    response = client.post(reverse("library:set_tempo", args=[guessed.pk]), {"change": "double"})

    assert response.status_code in (200, 302)
    guessed.refresh_from_db()
    assert guessed.tempo_bpm == 172.0 and not guessed.tempo_is_guess
    html = detail_html(client, guessed)
    assert GUESS not in html
    assert '172.0 BPM <span class="muted">(set by you)</span>' in html


def test_the_sample_page_shows_a_confident_tempo_with_its_confidence(client_for, user, timed):
    sample = timed(0.77)

    html = detail_html(client_for(user), sample)

    assert GUESS not in html
    assert '86.0 BPM <span class="muted">(0.77 confidence)</span>' in html


def test_marking_tempo_guesses_costs_no_query_per_row(client_for, user, timed):
    client = client_for(user)
    for confidence in (0.3, 0.9):
        timed(confidence)
    with_two = list_queries(client)
    for number in range(23):
        timed(0.3 + number / 50)

    assert list_queries(client) == with_two

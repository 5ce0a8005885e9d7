"""Keys the analysis is unsure of are shown as guesses, in the list and on the sample page."""

import re

import pytest

from library.models import Sample
from library.models.samples import CONFIDENT_KEY
from tests.library.pages import detail_html, list_queries, row_html

pytestmark = pytest.mark.django_db
GUESS = 'class="key-guess"'


@pytest.fixture
def keyed(user, make_sample, make_features):
    """A ready loop in F# minor whose key the analysis was ``confidence`` sure of."""

    def make(confidence, **fields):
        sample = make_sample(user, key="F#", scale="minor", kind="loop", status="ready", **fields)
        make_features(sample, key="F#", scale="minor", key_confidence=confidence)
        return sample

    return make


def test_a_low_confidence_key_is_marked_as_a_guess_in_its_row(client_for, user, keyed):
    guessed = keyed(0.64)

    row = row_html(client_for(user), guessed)

    assert 'title="Guessed from the sound, 64% sure"' in row
    assert re.search(r'F# minor<span class="guess-mark" aria-hidden="true">\?</span>', row)
    assert '<span class="visually-hidden"> (guessed from the sound, 64% sure)</span>' in row


@pytest.mark.parametrize(
    ("confidence", "fields"),
    [(0.93, {}), (CONFIDENT_KEY, {}), (0.55, {"key_set_by_user": True})],
    ids=["confident", "at-the-threshold", "set-by-user"],
)
def test_a_trusted_key_shows_as_before(client_for, user, keyed, confidence, fields):
    sample = keyed(confidence, **fields)

    row = row_html(client_for(user), sample)

    assert GUESS not in row
    assert "<td>F# minor</td>" in row


def test_a_key_without_measured_features_is_not_called_a_guess(user, make_sample):
    sample = make_sample(user, key="C", scale="major")
    assert not sample.key_is_guess
    assert Sample(key="C", scale="major").key_confidence is None


def test_the_sample_page_says_the_key_is_a_guess(client_for, user, keyed):
    guessed = keyed(0.71)

    html = detail_html(client_for(user), guessed)

    assert GUESS in html
    assert "(guessed from the sound, 71% sure)" in html


def test_the_sample_page_shows_a_confident_key_with_its_confidence(client_for, user, keyed):
    sample = keyed(0.91)

    html = detail_html(client_for(user), sample)

    assert GUESS not in html
    assert 'F# minor <span class="muted">(0.91 confidence)</span>' in html


def test_marking_key_guesses_costs_no_query_per_row(client_for, user, keyed):
    client = client_for(user)
    for confidence in (0.5, 0.9):
        keyed(confidence)
    with_two = list_queries(client)
    for number in range(23):
        keyed(0.5 + number / 100)

    assert list_queries(client) == with_two

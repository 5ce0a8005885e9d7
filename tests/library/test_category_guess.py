"""Categories the analysis is unsure of are shown as guesses, in the list and on the sample page."""

import re

import pytest
from django.urls import reverse

from library.models import Sample
from library.models.samples import CONFIDENT_CATEGORY
from tests.library.pages import detail_html, list_html, list_queries, row_of

pytestmark = pytest.mark.django_db
GUESS = 'class="category-guess"'


def test_a_low_confidence_category_is_marked_as_a_guess_in_its_row(client_for, user, make_sample):
    guessed = make_sample(user, category="kick", category_confidence=0.5, status="ready")

    row = row_of(list_html(client_for(user)), guessed)

    assert GUESS in row
    assert 'title="Guessed from the sound, 50% sure"' in row
    # Not by colour alone: a visible "?", and words for screen readers.
    assert re.search(r'Kick<span class="guess-mark" aria-hidden="true">\?</span>', row)
    assert '<span class="visually-hidden"> (guessed from the sound, 50% sure)</span>' in row


@pytest.mark.parametrize(
    "fields",
    [
        {"category_confidence": 0.95},
        {"category_confidence": CONFIDENT_CATEGORY},
        {"category_confidence": 0.5, "category_set_by_user": True},
        {"category_confidence": None},
    ],
    ids=["confident", "at-the-threshold", "set-by-user", "no-confidence"],
)
def test_a_trusted_category_shows_as_before(client_for, user, make_sample, fields):
    sample = make_sample(user, category="kick", status="ready", **fields)

    row = row_of(list_html(client_for(user)), sample)

    assert GUESS not in row
    assert "<td>Kick</td>" in row


def test_a_row_redrawn_by_polling_marks_the_guess_too(client_for, user, make_sample):
    guessed = make_sample(user, category="snare", category_confidence=0.62, status="ready")

    response = client_for(user).get(reverse("library:sample_row", args=[guessed.pk]))

    assert GUESS in response.content.decode()
    assert "62% sure" in response.content.decode()


def test_the_sample_page_says_the_category_is_a_guess(client_for, user, make_sample):
    guessed = make_sample(user, category="clap", category_confidence=0.62)

    html = detail_html(client_for(user), guessed)

    assert GUESS in html
    assert "(guessed from the sound, 62% sure)" in html


def test_the_sample_page_shows_a_category_set_by_hand_as_the_users(client_for, user, make_sample):
    sample = make_sample(user, category="clap", category_confidence=0.3, category_set_by_user=True)

    html = detail_html(client_for(user), sample)

    assert GUESS not in html
    assert 'Clap <span class="muted">(set by you)</span>' in html


def test_a_guess_never_reads_as_the_confident_percentage():
    sample = Sample(category="kick", category_confidence=0.799)
    assert sample.category_is_guess
    assert sample.category_guess_note == "Guessed from the sound, 79% sure"


def test_marking_guesses_costs_no_query_per_row(client_for, user, make_sample):
    client = client_for(user)
    for number in range(2):
        make_sample(user, category="kick", category_confidence=0.4 + number / 10, status="ready")
    with_two = list_queries(client)
    for _ in range(23):
        make_sample(user, category="kick", category_confidence=0.5, status="ready")

    assert list_queries(client) == with_two

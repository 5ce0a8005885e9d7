"""Best match first: a page read rank by rank from the index equals the exact ranking."""

import random

import pytest
from django.db import DatabaseError, connection
from django.urls import reverse

from library.filters import LibraryFilterForm
from library.models import Sample, SampleTag, Tag
from library.search import (
    RANKED_WORDS,
    SYNONYMS,
    BestMatch,
    found_through_the_index,
    search,
    words,
)

pytestmark = pytest.mark.django_db
URL = reverse("library:index")
NAME_WORDS = ["kick", "bd", "snare", "hat", "hh", "dusty", "warm", "tape", "rhodes", "keys",
              "808", "loop", "vinyl", "soft", "0", "01", "02", "kicker"]  # fmt: skip
OTHER_WORDS = ["dusty", "warm", "tape", "vinyl", "keys", "soft", "room", "kick", "hat"]
CATEGORIES = ["kick", "snare", "closed_hat", "open_hat", "keys", "drum_loop", ""]
QUERIES = ["kick", "kic", "bd", "hh", "dusty kick", "warm tape loop", "rhodes keys",
           "808", "dusty warm tape soft vinyl", "kick 0", "vinyl hh ", "nothing-here"]  # fmt: skip


@pytest.fixture
def fixed_library(user, other_user, make_sample):
    """A few hundred samples whose names, folders, tags and sounds share words at random."""
    rng = random.Random(404)
    tags = [Tag.objects.create(owner=user, name=word) for word in OTHER_WORDS]
    for number in range(300):
        name = " ".join(rng.sample(NAME_WORDS, rng.randint(1, 4)))
        sample = make_sample(
            user,
            name=name,
            original_filename=f"{rng.choice(OTHER_WORDS)}_{number}.wav",
            source_path=f"Packs/{rng.choice(OTHER_WORDS).title()}",
            description=" ".join(rng.sample(OTHER_WORDS, rng.randint(0, 3))),
            category=rng.choice(CATEGORIES),
            kind=rng.choice(["loop", "one-shot"]),
        )
        for tag in rng.sample(tags, rng.randint(0, 2)):
            SampleTag.objects.create(sample=sample, tag=tag)
            sample.refresh_search_text()
        if number % 10 == 0:
            make_sample(other_user, name=name)  # never in the user's results
    return user


def filtered(user, params):
    form = LibraryFilterForm(params)
    return form, form.filter(Sample.objects.owned_by(user).alive())


def named_rank(name: str, query: str) -> int:
    """How many of the typed words (or their synonyms) the name holds, written out plainly."""
    typed = list(dict.fromkeys(words(query)))[:RANKED_WORDS]
    in_name = set(words(name))
    rank = 0
    for position, word in enumerate(typed):
        forms = {word} | SYNONYMS.get(word, set())
        last = position == len(words(query)) - 1 and not query.endswith(" ") and word != "0"
        if in_name & forms or (last and any(found.startswith(word) for found in in_name)):
            rank += 1
    return rank


def test_pages_read_rank_by_rank_equal_the_exact_ranking(fixed_library):
    # One library for every query: building it is most of the test's time.
    for query in QUERIES:
        for extra in ({}, {"kind": "loop"}):
            form, samples = filtered(fixed_library, {"q": query, **extra})
            exact = list(samples.values_list("pk", flat=True))
            for offset in (0, 10, 40):
                page = exact[offset : offset + 10]
                assert form.best_match.ids(offset, 10) == page, query
                # Known to be few, the matches are ranked at once (PostgreSQL).
                assert form.best_match.ids(offset, 10, few=True) == page, query
            # Walking the index or picking rows by the other filters gives the same page.
            base = filtered(fixed_library, extra)[1]
            for narrowed in (False, True):
                assert BestMatch(base, query, narrowed=narrowed).ids(0, 25) == exact[:25], query


def test_the_exact_ranking_puts_names_holding_more_typed_words_first_then_newest(fixed_library):
    for query in QUERIES:
        _form, samples = filtered(fixed_library, {"q": query})
        found = list(samples.values_list("pk", "name", "search_rank"))
        assert found or query == "nothing-here", query
        for _pk, name, rank in found:
            assert rank == named_rank(name, query), (query, name)
        expected = sorted(found, key=lambda row: (-named_rank(row[1], query), -row[0]))
        assert found == expected, query


def test_a_match_in_the_name_beats_a_newer_match_elsewhere(client_for, user, make_sample):
    in_name = make_sample(user, name="Warm Pad")
    make_sample(user, name="Texture 3", description="rain on a tin roof with a warm hum")
    make_sample(user, name="Pad 2", source_path="Warm things")
    page = client_for(user).get(URL, {"q": "warm"}).context["page"]
    assert page.object_list[0] == in_name
    assert [sample.name for sample in page.object_list][1:] == ["Pad 2", "Texture 3"]


def test_synonyms_in_the_name_rank_like_the_typed_word(client_for, user, make_sample):
    by_folder = make_sample(user, name="Hit 1", source_path="Kicks")
    by_synonym = make_sample(user, name="BD 1")
    ranked = client_for(user).get(URL, {"q": "kick"}).context["page"].object_list
    assert ranked == [by_synonym, by_folder]


def test_typing_a_lone_zero_does_not_match_every_name(client_for, user, make_sample):
    make_sample(user, name="Snare", original_filename="snare.wav")
    numbered = make_sample(user, name="Snare 0", original_filename="snare0.wav")
    found = client_for(user).get(URL, {"q": "snare 0"}).context["page"].object_list
    assert found == [numbered]


def test_other_users_samples_never_fill_a_rank(client_for, user, other_user, make_sample):
    mine = make_sample(user, name="Kick Deep", original_filename="a.wav")
    for _ in range(5):
        make_sample(other_user, name="Kick Deep", original_filename="a.wav")
    found = client_for(user).get(URL, {"q": "kick deep"}).context["page"].object_list
    assert found == [mine]


def test_ranking_keeps_the_matches_of_plain_search(fixed_library):
    for query in QUERIES:
        _form, samples = filtered(fixed_library, {"q": query})
        plain = search(Sample.objects.owned_by(fixed_library).alive(), query)
        assert set(samples.values_list("pk", flat=True)) == set(plain.values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("limit", "params"),
    [
        ("LOOKUP_COUNT_LIMIT", {"q": "loop"}),
        ("LOOKUP_COUNT_LIMIT", {"tag": "Dusty"}),
        ("COUNT_LIMIT", {"kind": "loop"}),
    ],
)
def test_counting_stops_at_its_limit(client_for, user, monkeypatch, make_sample, limit, params):
    monkeypatch.setattr(f"library.listing.{limit}", 3)
    tag = Tag.objects.create(owner=user, name="dusty")
    for number in range(5):
        SampleTag.objects.create(
            sample=make_sample(user, name=f"Loop {number}", kind="loop"), tag=tag
        )
    response = client_for(user).get(URL, params, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "3+</span> samples match" in html
    assert response.context["page"].paginator.count_is_limited
    assert len(response.context["page"].object_list) == 5
    monkeypatch.setattr(f"library.listing.{limit}", 5)
    html = client_for(user).get(URL, params).content.decode()
    assert 'data-count="5">5</span> samples match' in html


@pytest.mark.parametrize("narrowed", [False, True])
@pytest.mark.parametrize("query", ["kick", "dusty warm tape"])
def test_counting_matches_reads_the_index_once_whatever_the_statistics(
    fixed_library, query, narrowed
):
    """The index is read once, as a list of ids or as the outer loop. Without planner
    statistics SQLite once ran the MATCH for every sample instead (seconds at 100,000)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's query plan; PostgreSQL's GIN index is read as a bitmap.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("DELETE FROM sqlite_stat1")
    owned = Sample.objects.filter(owner=fixed_library)
    counting = BestMatch(owned, query, narrowed=narrowed).matches
    sql, params = counting.values("pk")[:1001].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = [(node, parent, detail) for node, parent, _, detail in cursor.fetchall()]
    reads = [(node, parent) for node, parent, detail in plan if "library_sample_search" in detail]
    assert reads, plan
    for node, parent in reads:
        in_subquery = any(n == parent and "SUBQUERY" in detail for n, _, detail in plan)
        samples_first = any(
            p == parent and n < node and "library_sample " in detail for n, p, detail in plan
        )
        assert in_subquery or not samples_first, plan


def test_a_search_counted_through_the_index_finds_every_match_and_leaves_the_planner_as_it_was(
    fixed_library,
):
    def scans_allowed():
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_seqscan')")
            return cursor.fetchone()[0]

    before = scans_allowed()
    for query in QUERIES:
        matches = BestMatch(Sample.objects.filter(owner=fixed_library), query).matches
        expected = sorted(matches.values_list("pk", flat=True))
        with found_through_the_index():
            if connection.vendor == "postgresql":
                assert scans_allowed() == "off"
            assert sorted(matches.values_list("pk", flat=True)) == expected
            assert matches.order_by()[:1001].count() == len(expected)
    assert scans_allowed() == before
    # A query that fails inside keeps its own error, and the settings are as before.
    failing = pytest.raises(DatabaseError, match="no_such_table")
    with failing, found_through_the_index(), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    assert scans_allowed() == before

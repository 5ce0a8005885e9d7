"""The library page: filters, search, sorting, htmx partials and the plain form."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from library.models import SampleTag, Tag
from library.music import compatible_keys
from vibe.models import VibeAnalysis

pytestmark = pytest.mark.django_db
URL = reverse("library:index")


def names(response) -> set[str]:
    return {sample.name for sample in response.context["page"].object_list}


@pytest.fixture
def library(user, make_sample):
    """A small library with known values."""
    samples = {
        "Kick 808": make_sample(user, name="Kick 808", category="kick", kind="one-shot", duration=0.6,
                                source_path="Drums/Kicks", status="ready"),
        "s1": make_sample(user, name="s1", category="kick", kind="one-shot", duration=0.4),
        "Snare Crack": make_sample(user, name="Snare Crack", category="snare", kind="one-shot",
                                   duration=0.3, source_path="Drums/Snares"),
        "HH closed": make_sample(user, name="HH closed", category="closed_hat", kind="one-shot",
                                 duration=0.1),
        "Dusty Keys": make_sample(user, name="Dusty Keys", category="melodic_loop", kind="loop",
                                  tempo_bpm=90, key="A", scale="minor", duration=10.7,
                                  genre="lofi", description="warm rhodes chords", is_favorite=True,
                                  rating=5),
        "Bright Loop": make_sample(user, name="Bright Loop", category="melodic_loop", kind="loop",
                                   tempo_bpm=120, key="C", scale="major", duration=8.0, genre="house"),
        "Far Loop": make_sample(user, name="Far Loop", category="drum_loop", kind="loop",
                                tempo_bpm=174, key="F#", scale="major", duration=5.5),
    }  # fmt: skip
    tag = Tag.objects.create(owner=user, name="vinyl")
    SampleTag.objects.create(sample=samples["Far Loop"], tag=tag)
    return samples


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "loop"}, {"Dusty Keys", "Bright Loop", "Far Loop"}),
        ({"category": "kick"}, {"Kick 808", "s1"}),
        ({"bpm_min": 85, "bpm_max": 125}, {"Dusty Keys", "Bright Loop"}),
        ({"key": "A", "scale": "minor"}, {"Dusty Keys"}),
        ({"key": "A", "scale": "minor", "compatible": "on"}, {"Dusty Keys", "Bright Loop"}),
        ({"key": "A", "scale": "minor", "compatible": "on", "bpm_min": 100}, {"Bright Loop"}),
        ({"key": "A", "scale": "minor", "compatible": "on", "bpm_max": 100}, {"Dusty Keys"}),
        ({"duration_min": 0.2, "duration_max": 1}, {"Kick 808", "s1", "Snare Crack"}),
        ({"genre": "lofi"}, {"Dusty Keys"}),
        ({"tag": "Vinyl"}, {"Far Loop"}),
        ({"folder": "Drums"}, {"Kick 808", "Snare Crack"}),
        ({"folder": "Drums/Kicks"}, {"Kick 808"}),
        ({"status": "ready"}, {"Kick 808"}),
        ({"favorite": "on"}, {"Dusty Keys"}),
        ({"rating_min": 4}, {"Dusty Keys"}),
        ({"kind": "loop", "bpm_min": 100}, {"Bright Loop", "Far Loop"}),
    ],
)
def test_filters(client_for, user, library, params, expected):
    assert names(client_for(user).get(URL, params)) == expected


MILLION_SAMPLES_STATISTICS = {
    "library_sample_owner_id_445f6c71": "1000000 1000000",
    "sample_genre_tempo": "1000000 100000 96",
    "sample_live_by_name": "1000000 1000000 37 1",
    "sample_live_category_id_kind": "1000000 1000000 71429 1 1",
    "sample_live_category_name_id": "1000000 1000000 71429 37 1",
    "sample_live_created_at": "1000000 1000000 1",
    "sample_live_duration": "1000000 1000000 1",
    "sample_live_favorites": "30179 30179 1",
    "sample_live_genre": "1000000 1000000 100000",
    "sample_live_genre_lower_newest": "1000000 1000000 100000 1",
    "sample_live_genre_lower_tempo": "1000000 1000000 100000 96",
    "sample_live_key_scale_tempo_bp": "1000000 1000000 76924 40000 39",
    "sample_live_kind_id": "1000000 1000000 500000 1",
    "sample_live_kind_tempo_bpm": "1000000 1000000 500000 951",
    "sample_live_last_played_at": "1000000 1000000 1000000",
    "sample_live_newest": "1000000 1000000 1",
    "sample_live_pitch_midi": "1000000 1000000 1000000",
    "sample_live_rating": "1000000 1000000 166667",
    "sample_live_source_path_tempo": "1000000 1000000 18182 189",
    "sample_live_status": "1000000 1000000 1000000",
    "sample_live_tempo_bpm": "1000000 1000000 951",
    "sample_sha256": "1000000 1",
    "sample_unique_content": "1000000 1000000 1",
}


@pytest.mark.parametrize("many", [False, True])
@pytest.mark.parametrize("sort", ["", "name", "bpm"])
def test_a_folder_holds_its_subfolders_and_not_its_siblings_however_it_is_read(
    client_for, user, make_sample, monkeypatch, many, sort
):
    """A folder of many samples is read another way on SQLite (filters.likely); a leaf exactly."""
    monkeypatch.setattr("library.filters.MANY", 1 if many else 10_000)
    for path in [
        "Drums",
        "Drums/Kicks",
        "Drums/Kicks/Deep",
        "Drums 2",
        "Drumsets",
        "Bass",
        "Loops",
    ]:
        make_sample(
            user, name=f"in {path}", source_path=path, tempo_bpm=90 if "K" in path else None
        )
    client = client_for(user)
    expected = {
        "Drums": {"in Drums", "in Drums/Kicks", "in Drums/Kicks/Deep"},
        "Drums/Kicks/": {"in Drums/Kicks", "in Drums/Kicks/Deep"},
        "Drums/Kicks/Deep": {"in Drums/Kicks/Deep"},
        "Loops": {"in Loops"},
        "Drum": set(),
        # Typed in another case: the folder as stored.
        "drums/kicks": {"in Drums/Kicks", "in Drums/Kicks/Deep"},
        "DRUMS 2": {"in Drums 2"},
        "dRUM": set(),
    }
    for folder, names_in in expected.items():
        assert names(client.get(URL, {"folder": folder, "sort": sort})) == names_in, folder


def test_a_folder_of_many_samples_is_paged_in_the_lists_order_on_sqlite(
    user, make_sample, monkeypatch
):
    """SQLite cannot tell how many samples a folder holds: it read them all through the
    folder index and sorted them (600 ms for 200,000 by name at a million samples)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's query plan; PostgreSQL keeps statistics of values.")
    for number in range(3):
        make_sample(user, name=f"Kick {number}", source_path="Drums/Kicks")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("SELECT tbl, idx, stat FROM sqlite_stat1")
            before = cursor.fetchall()
        else:
            before = []
            cursor.execute("ANALYZE django_migrations")  # Creates the statistics table.
    # What ANALYZE gathered from bench/library.py's million samples, index by index.
    use_statistics([row for row in before if row[0] != "library_sample"] + [
        ("library_sample", index, stat) for index, stat in MILLION_SAMPLES_STATISTICS.items()
    ])  # fmt: skip
    try:
        check_the_plans(user, monkeypatch)
    finally:
        # The connection keeps the statistics it has read past the test's rollback.
        use_statistics(before)


def use_statistics(rows) -> None:
    """The planner's statistics replaced by `rows` (table, index, stat), and read again."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sqlite_stat1")
        for row in rows:
            cursor.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)", row)
        cursor.execute("ANALYZE sqlite_schema")


def check_the_plans(user, monkeypatch):
    from library.filters import LibraryFilterForm
    from library.models import Sample

    def plan(params):
        form = LibraryFilterForm(params)
        samples = form.filter(Sample.objects.owned_by(user).alive()).values("pk")[:50]
        sql, values = samples.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", values)
            return " / ".join(row[-1] for row in cursor.fetchall())

    for sort, order_index in [("name", "sample_live_by_name"), ("newest", "sample_live_newest")]:
        monkeypatch.setattr("library.filters.MANY", 2)
        walked = plan({"folder": "Drums", "sort": sort})
        assert order_index in walked and "TEMP B-TREE" not in walked, walked
        monkeypatch.setattr("library.filters.MANY", 10_000)
        assert "sample_live_source_path" in plan({"folder": "Drums", "sort": sort})


def test_compatible_keys_follow_the_camelot_wheel():
    assert set(compatible_keys("A", "minor")) == {
        ("A", "minor"), ("C", "major"), ("E", "minor"), ("D", "minor"),
    }  # fmt: skip
    assert set(compatible_keys("F#", "major")) == {
        ("F#", "major"), ("D#", "minor"), ("C#", "major"), ("B", "major"),
    }  # fmt: skip


def test_mood_and_energy_filters_use_vibe_data(client_for, user, library):
    VibeAnalysis.objects.create(
        sample=library["Dusty Keys"], model="m", mood_primary="melancholic", energy=0.3
    )
    VibeAnalysis.objects.create(
        sample=library["Far Loop"], model="m", mood_primary="hype", energy=0.9
    )
    client = client_for(user)
    assert names(client.get(URL, {"mood": "Melancholic"})) == {"Dusty Keys"}
    assert names(client.get(URL, {"energy_min": 0.5})) == {"Far Loop"}


def test_recently_added_and_played(client_for, user, library):
    old = timezone.now() - timedelta(days=30)
    type(library["s1"]).objects.exclude(pk=library["s1"].pk).update(created_at=old)
    type(library["s1"]).objects.filter(pk=library["Snare Crack"].pk).update(
        last_played_at=timezone.now()
    )
    client = client_for(user)
    assert names(client.get(URL, {"recent": "added"})) == {"s1"}
    assert names(client.get(URL, {"recent": "played"})) == {"Snare Crack"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dusty", {"Dusty Keys"}),
        ("rhodes", {"Dusty Keys"}),  # description
        ("vinyl", {"Far Loop"}),  # tag
        ("snares", {"Snare Crack"}),  # folder, and the snare synonyms
        ("kic", {"Kick 808", "s1"}),  # as you type; s1 is a kick by its sound
        ("bd", {"Kick 808", "s1"}),
        ("hh", {"HH closed"}),
        ("hat", {"HH closed"}),
        ("loop bright", {"Bright Loop"}),
        ("nothing-like-this", set()),
    ],
)
def test_text_search(client_for, user, library, query, expected):
    assert names(client_for(user).get(URL, {"q": query})) == expected


def test_search_ranks_focused_matches_first(client_for, user, make_sample):
    make_sample(
        user,
        name="Texture 3",
        description="field recording of rain on a tin roof with a warm hum under traffic noise",
    )
    make_sample(user, name="Warm Pad")
    response = client_for(user).get(URL, {"q": "warm"})
    ranked = [sample.name for sample in response.context["page"].object_list]
    assert ranked == ["Warm Pad", "Texture 3"]


def test_search_follows_tag_changes(client_for, user, library):
    client = client_for(user)
    tag = Tag.objects.get(name="vinyl")
    tag.name = "crackle"
    tag.save()
    assert names(client.get(URL, {"q": "crackle"})) == {"Far Loop"}
    assert names(client.get(URL, {"q": "vinyl"})) == set()
    SampleTag.objects.create(sample=library["s1"], tag=tag)
    assert names(client.get(URL, {"q": "crackle"})) == {"Far Loop", "s1"}
    SampleTag.objects.filter(sample=library["Far Loop"]).delete()
    assert names(client.get(URL, {"q": "crackle"})) == {"s1"}


def test_search_follows_renames(client_for, user, library):
    sample = library["s1"]
    sample.name = "Thumper"
    sample.save()
    assert names(client_for(user).get(URL, {"q": "thump"})) == {"Thumper"}


def test_search_never_shows_other_users_samples(client_for, user, other_user, make_sample):
    make_sample(other_user, name="Secret Kick")
    assert names(client_for(user).get(URL, {"q": "kick"})) == set()


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("name", "Bright Loop"),
        ("-bpm", "Far Loop"),
        ("duration", "HH closed"),
        ("-duration", "Dusty Keys"),
    ],
)
def test_sorting(client_for, user, library, sort, first):
    response = client_for(user).get(URL, {"sort": sort})
    assert response.context["page"].object_list[0].name == first


def test_htmx_filter_returns_only_the_results_partial(client_for, user, library):
    response = client_for(user).get(
        URL, {"kind": "loop"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="results"')
    assert 'data-count="3"' in html
    assert "match" in html
    assert "<nav" not in html.split('<nav class="pagination"')[0]  # no page chrome
    assert 'id="filters"' not in html
    assert "HX-Target" in response["Vary"]


def test_plain_get_form_gives_the_full_filtered_page(client_for, user, library):
    response = client_for(user).get(URL, {"kind": "loop", "sort": "name"})
    html = response.content.decode()
    assert 'id="filters"' in html
    assert 'class="mainnav"' in html
    assert names(response) == {"Dusty Keys", "Bright Loop", "Far Loop"}


def test_invalid_filter_values_are_ignored_not_errors(client_for, user, library):
    response = client_for(user).get(URL, {"bpm_min": "fast", "kind": "loop"})
    assert response.status_code == 200
    assert names(response) == {"Dusty Keys", "Bright Loop", "Far Loop"}


def test_a_loop_id_no_database_can_hold_is_ignored(client_for, user, library):
    response = client_for(user).get(URL, {"loop": "99999999999999999999999"})
    assert response.status_code == 200
    assert len(names(response)) == len(library)


def test_empty_states_say_what_to_do(client_for, user, library):
    client = client_for(user)
    assert b"No samples match" in client.get(URL, {"q": "zzzz"}).content
    library["s1"].owner.samples.all().delete()
    assert b"Your library is empty" in client.get(URL).content


def test_pagination_keeps_the_filters(client_for, user, make_sample):
    for number in range(60):
        make_sample(user, name=f"Loop {number:02d}", kind="loop")
    response = client_for(user).get(URL, {"kind": "loop", "sort": "name"})
    assert "kind=loop&amp;sort=name&amp;page=2" in response.content.decode()
    second = client_for(user).get(URL, {"kind": "loop", "sort": "name", "page": 2})
    assert second.context["page"].object_list[0].name == "Loop 50"


def test_empty_fields_stay_out_of_the_address_and_the_page_links(client_for, user, make_sample):
    for number in range(60):
        make_sample(user, name=f"Loop {number:02d}", kind="loop")
    form = {"q": "", "kind": "loop", "category": "", "bpm_min": " ", "sort": "name", "page": ""}
    headers = {"HX-Request": "true", "HX-Target": "results"}
    response = client_for(user).get(URL, form, headers=headers)
    assert response["HX-Push-Url"] == f"{URL}?kind=loop&sort=name"
    assert 'href="?kind=loop&amp;sort=name&amp;page=2"' in response.content.decode()
    # The sort select always sends a value; its default says nothing.
    cleared = client_for(user).get(URL, {"q": "", "kind": "", "sort": "relevance"}, headers=headers)
    assert cleared["HX-Push-Url"] == URL
    searched = client_for(user).get(URL, {"q": "loop", "sort": "relevance"}, headers=headers)
    assert searched["HX-Push-Url"] == f"{URL}?q=loop"
    assert searched.context["page"].object_list[0].name.startswith("Loop")


@pytest.mark.parametrize("rows", [5, 50])
def test_list_query_count_is_fixed(
    client_for, user, make_sample, django_assert_max_num_queries, rows
):
    tag = Tag.objects.create(owner=user, name="t")
    for _ in range(rows):
        SampleTag.objects.create(sample=make_sample(user), tag=tag)
    client = client_for(user)
    # Session, user, count, ids (one query per name rank: two for one word), rows,
    # tags of the rows, tag and genre choices, kits. On PostgreSQL the count and
    # the ranking share a short transaction that reads them through the index:
    # a savepoint here (BEGIN in a view), turning table scans off, putting them
    # back (only inside a longer transaction, as here), and its end.
    budget = 10 + (4 if connection.vendor == "postgresql" else 0)
    with django_assert_max_num_queries(budget):
        client.get(URL, {"q": "sample", "kind": ""})


def test_genre_matches_ignoring_case_and_is_offered_once(client_for, user, make_sample):
    make_sample(user, name="Amen", genre="Jungle")
    make_sample(user, name="Think", genre="jungle")
    make_sample(user, name="Reese", genre="Jungle")
    make_sample(user, name="Apache", genre="Hip hop")
    client = client_for(user)
    found = client.get(URL, {"genre": "JUNGLE"})
    assert {sample.name for sample in found.context["samples"]} == {"Amen", "Think", "Reese"}
    assert found.context["genre_names"] == ["Hip hop", "Jungle"]


def test_genres_offered_are_the_users_own_outside_the_trash(
    client_for, user, other_user, make_sample
):
    make_sample(user, name="Amen", genre="jungle")
    make_sample(user, name="Gone", genre="Dub").move_to_trash()
    make_sample(other_user, name="Theirs", genre="Gabber")
    make_sample(user, name="Plain", genre="")
    make_sample(user, name="Think", genre="Jungle")
    make_sample(user, name="Amen 2", genre="jungle")
    names = client_for(user).get(URL).context["genre_names"]
    assert names == ["jungle"]


@pytest.mark.parametrize(
    "posted",
    [
        {"action": "tag", "value": "x", "samples": ["99999999999999999999999", "²", "-3"]},
        {"action": "kit", "kit": "x", "samples": ["1"]},
        {"action": "kit", "kit": "99999999999999999999999", "samples": ["1"]},
        {"action": "export", "samples": ["99999999999999999999999", "1"]},
    ],
)
def test_bulk_actions_refuse_odd_ids_in_words(client_for, user, make_sample, posted):
    make_sample(user)
    response = client_for(user).post(reverse("library:bulk"), posted, follow=True)
    assert response.status_code == 200


def test_a_search_that_changes_nothing_makes_no_history_entry(client_for, user, make_sample):
    make_sample(user, name="Kick Deep")
    headers = {"HX-Request": "true", "HX-Target": "results"}
    client = client_for(user)
    # Spaces typed after "kick" change the field, not the list.
    current = f"http://testserver{URL}?q=kick"
    spaced = client.get(
        URL, {"q": "kick  ", "sort": "relevance"}, headers={**headers, "HX-Current-URL": current}
    )
    assert spaced["HX-Push-Url"] == "false"
    blank = client.get(
        URL, {"q": "   "}, headers={**headers, "HX-Current-URL": f"http://testserver{URL}"}
    )
    assert blank["HX-Push-Url"] == "false"
    moved = client.get(URL, {"q": "kick d"}, headers={**headers, "HX-Current-URL": current})
    assert moved["HX-Push-Url"] == f"{URL}?q=kick+d"

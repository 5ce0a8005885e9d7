"""Sorting by rating reads its order from an index on both databases, instead of sorting every sample."""

import pytest
from django.db import connection

from library.filters import LibraryFilterForm
from library.models import Sample

pytestmark = pytest.mark.django_db


def plan(queryset) -> str:
    """The database's plan for the first page of a queryset, as one string."""
    sql, params = queryset.values_list("pk", flat=True)[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return " | ".join(row[-1] for row in cursor.fetchall())
        # A sort the planner could avoid through an index is then avoided
        # whatever the table's size; one it cannot avoid still shows.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return " | ".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("params", [{"sort": "rating"}, {"sort": "rating", "rating_min": "4"}])
def test_sorting_by_rating_reads_an_index_in_order(user, make_sample, params):
    for stars in (None, 1, 5, 4, None, 3):
        make_sample(user, rating=stars)
    form = LibraryFilterForm(params)
    samples = form.filter(Sample.objects.owned_by(user).alive())
    ratings = list(samples.values_list("rating", flat=True))
    assert ratings == ([5, 4, 3, 1, None, None] if "rating_min" not in params else [5, 4])

    found = plan(samples)

    assert "TEMP B-TREE" not in found and "Sort" not in found, found


def test_sorting_by_key_puts_keys_first_then_notes_then_the_rest(user, make_sample):
    make_sample(user, name="hat")
    make_sample(user, name="808", pitch_midi=31, pitch_cents=0)
    make_sample(user, name="stab", key="F", scale="minor")
    make_sample(user, name="bell", pitch_midi=72, pitch_cents=-5)
    make_sample(user, name="loop", key="C", scale="major")
    samples = LibraryFilterForm({"sort": "key"}).filter(Sample.objects.owned_by(user).alive())
    assert list(samples.values_list("name", flat=True)) == ["loop", "stab", "808", "bell", "hat"]

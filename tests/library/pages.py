"""The library's pages as a browser gets them: a sample's row in the list, its page, and the list's cost in queries."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def list_html(client) -> str:
    return client.get(reverse("library:index")).content.decode()


def row_of(html: str, sample) -> str:
    """The list row of one sample, from the list's HTML."""
    match = re.search(rf'<tr id="sample-{sample.pk}".*?</tr>', html, re.S)
    assert match, f"no row for sample {sample.pk}"
    return match.group(0)


def row_html(client, sample) -> str:
    """The list row of one sample, fetched."""
    return row_of(list_html(client), sample)


def list_queries(client) -> int:
    """How many queries the list's first page costs."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("library:index")).status_code == 200
    return len(captured)


def detail_html(client, sample) -> str:
    """The sample's own page."""
    return client.get(reverse("library:sample_detail", args=[sample.pk])).content.decode()

"""Every page needs a login, and one user's things are invisible to another."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from exports.models import Export
from imports.models import Batch
from kits.models import Kit

pytestmark = pytest.mark.django_db

# Login pages are the only public ones.
PUBLIC_URL_NAMES = {"accounts:login", "accounts:setup", "admin:login"}


def all_url_names(resolver=None, namespace=""):
    """Every named URL of the project, with its namespace."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from all_url_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def example_url(name, pattern):
    """Reverse a URL name, filling its parameters with plausible values."""
    kwargs = {}
    for key, converter in pattern.pattern.converters.items():
        kwargs[key] = 1 if type(converter).__name__ == "IntConverter" else "x"
    if name == "admin:app_list":
        kwargs = {"app_label": "library"}
    try:
        return reverse(name, kwargs=kwargs)
    except Exception:
        return None


def test_every_url_except_login_and_setup_needs_a_login(client, user):
    checked = 0
    for name, pattern in all_url_names():
        if name in PUBLIC_URL_NAMES:
            continue
        url = example_url(name, pattern)
        if url is None:
            continue
        response = client.get(url)
        assert response.status_code == 302, f"{name} ({url}) answered {response.status_code}"
        assert "login" in response["Location"], f"{name} redirected to {response['Location']}"
        checked += 1
    assert checked >= 10


def test_login_page_is_public(client, user):
    assert client.get(reverse("accounts:login")).status_code == 200


def test_logged_in_user_sees_the_main_pages(client_for, user):
    client = client_for(user)
    for name in ["library:index", "imports:batch_list", "kits:index", "exports:index"]:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert b"Log out" in response.content


@pytest.fixture
def alices_things(user, make_sample):
    sample = make_sample(user)
    return {
        "library:sample_detail": sample.pk,
        "imports:batch_detail": Batch.objects.create(owner=user, name="b", source="folder").pk,
        "kits:kit_detail": Kit.objects.create(owner=user, name="k").pk,
        "exports:export_detail": Export.objects.create(owner=user, name="e", source="kit").pk,
    }


def test_another_users_objects_answer_404(client_for, other_user, alices_things):
    client = client_for(other_user)
    for name, pk in alices_things.items():
        response = client.get(reverse(name, args=[pk]))
        assert response.status_code == 404, name


def test_owner_sees_their_objects(client_for, user, alices_things):
    client = client_for(user)
    for name, pk in alices_things.items():
        assert client.get(reverse(name, args=[pk])).status_code == 200, name


def test_shared_kit_is_readable_but_not_editable_by_others(client_for, user, other_user):
    kit = Kit.objects.create(owner=user, name="Shared", is_shared=True)
    response = client_for(other_user).get(reverse("kits:kit_detail", args=[kit.pk]))
    assert response.status_code == 200
    assert response.context["can_edit"] is False


def test_library_lists_only_the_users_own_samples(client_for, user, other_user, make_sample):
    make_sample(user, name="Mine")
    make_sample(other_user, name="Theirs")
    response = client_for(user).get(reverse("library:index"))
    names = [sample.name for sample in response.context["page"].object_list]
    assert names == ["Mine"]


def test_library_list_query_count_does_not_grow_with_rows(
    client_for, user, make_sample, django_assert_max_num_queries
):
    for _ in range(30):
        make_sample(user)
    client = client_for(user)
    # Session, user, count, ids, rows, tags of the rows, tag and genre choices, kits.
    with django_assert_max_num_queries(9):
        client.get(reverse("library:index"))


def test_an_unknown_address_gets_the_apps_own_not_found_page(client_for, user):
    response = client_for(user).get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<h1>Not found</h1>" in page and "css/app.css" in page
    assert 'name="viewport"' in page  # Fits a phone, like every other page.


def test_a_server_error_gets_a_plain_page_that_fits_a_phone(client_for, user, settings):
    settings.ROOT_URLCONF = "tests.foundation.error_urls"
    client = client_for(user)
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and 'name="viewport"' in page

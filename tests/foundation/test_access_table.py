"""Every URL of the app, for its owner, another user and an anonymous visitor, by method.

One row per URL name: what it shows or changes, and whose object it takes. A
URL added without a row fails the first test, so none is forgotten.
"""

import pytest
from django.test import Client
from django.urls import reverse

from exports.models import Export
from imports.models import Batch
from kits.models import Kit
from tests.foundation.test_access import all_url_names

pytestmark = pytest.mark.django_db

PAGE, ACTION, FORM = "page", "action", "form"  # GET only; POST only; GET shows, POST acts.
# URL name: (kind, whose object its id names, or None).
TABLE = {
    "library:index": (PAGE, None),
    "library:bulk": (ACTION, None),
    "library:sample_detail": (FORM, "sample"),
    "library:sample_row": (PAGE, "sample"),
    "library:similar": (PAGE, "sample"),
    "library:chop": (ACTION, "sample"),
    "library:duplicates": (PAGE, None),
    "library:scan_duplicates": (ACTION, None),
    "library:audio": (PAGE, "sample"),
    "library:download": (PAGE, "sample"),
    "library:stretched": (PAGE, "sample"),
    "library:sound_search": (FORM, None),  # GET goes back to the library.
    "library:played": (ACTION, "sample"),
    "library:add_tag": (ACTION, "sample"),
    "library:remove_tag": (ACTION, "sample"),
    "library:set_tempo": (ACTION, "sample"),
    "library:relabel": (ACTION, "sample"),
    "library:reanalyze": (ACTION, "sample"),
    "library:favorite": (ACTION, "sample"),
    "library:rate": (ACTION, "sample"),
    "library:trash_sample": (ACTION, "sample"),
    "library:restore": (ACTION, "sample"),
    "library:trash": (PAGE, None),
    "library:empty_trash": (ACTION, None),
    "library:tags": (PAGE, None),
    "library:rename_tag": (ACTION, "tag"),
    "library:delete_tag": (ACTION, "tag"),
    "imports:batch_list": (PAGE, None),
    "imports:upload": (ACTION, None),
    "imports:upload_start": (ACTION, None),
    "imports:import_link": (ACTION, None),
    "imports:batch_detail": (PAGE, "batch"),
    "imports:upload_file": (ACTION, "batch"),
    "imports:upload_finish": (ACTION, "batch"),
    "vibe:describe_vibe": (ACTION, "sample"),
    "vibe:vibe_status": (PAGE, "sample"),
    "vibe:usage": (PAGE, None),
    "core:slow_log": (PAGE, None),
    "kits:index": (PAGE, None),
    "kits:create": (FORM, None),  # GET goes to the kits.
    "kits:send_slices": (ACTION, None),  # The loop and kit are posted; see test_slices.py.
    "kits:kit_detail": (PAGE, "kit"),
    "kits:edit": (ACTION, "kit"),
    "kits:propose": (ACTION, "kit"),
    "kits:copy": (ACTION, "kit"),
    "kits:delete": (FORM, "kit"),
    "kits:assign": (ACTION, "kit"),
    "kits:move": (ACTION, "kit"),
    "kits:clear": (ACTION, "kit"),
    "kits:pad_options": (ACTION, "kit"),
    "kits:fill": (FORM, "kit"),
    "exports:index": (PAGE, None),
    "exports:new": (FORM, None),
    "exports:export_detail": (PAGE, "export"),
    "exports:download": (PAGE, "export"),
    "exports:cancel": (ACTION, "export"),
    "exports:retry": (ACTION, "export"),
    "accounts:setup": (FORM, None),
    "accounts:login": (FORM, None),
    "accounts:logout": (ACTION, None),
    "accounts:password_change": (FORM, None),
    "accounts:password_change_done": (PAGE, None),
}
PUBLIC = {"accounts:setup", "accounts:login"}
# Others get a 404, as for another user's things.
STAFF_ONLY = {"core:slow_log"}
NAMES = sorted(name for name, _ in all_url_names() if not name.startswith("admin:"))


@pytest.fixture
def owned(user, make_sample):
    """One object of each kind, owned by ``user``; a shared kit would change the rules."""
    sample = make_sample(user)
    kit = Kit.objects.create(owner=user, name="Mine")
    kit.assign("A", 1, sample)
    return {
        "sample": sample,
        "tag": sample.add_tag("dusty"),
        "kit": kit,
        "batch": Batch.objects.start(user, source="upload", name="b", total_files=3),
        "export": Export.objects.create(owner=user, name="e", source="selection"),
    }


def url(name: str, owned) -> str:
    _kind, owner = TABLE[name]
    pattern = dict(all_url_names())[name]
    values = {"pk": owned[owner].pk if owner else 0, "tag_pk": owned["tag"].pk, "bank": "A",
              "pad_number": 1}  # fmt: skip
    return reverse(name, kwargs={key: values[key] for key in pattern.pattern.converters})


def test_every_url_has_a_row():
    assert sorted(TABLE) == NAMES


@pytest.mark.parametrize("name", sorted(set(NAMES) - PUBLIC))
def test_anonymous_visitors_are_sent_to_log_in(client, user, owned, name):
    for method in (client.get, client.post):
        response = method(url(name, owned))
        assert response.status_code == 302, method
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", sorted(n for n in NAMES if TABLE[n][1]))
def test_another_users_objects_answer_404(client_for, other_user, owned, name):
    client = client_for(other_user)
    for method in (client.get, client.post):
        assert method(url(name, owned)).status_code in {404, 405}, method
    kind = TABLE[name][0]
    if kind != ACTION:
        assert client.get(url(name, owned)).status_code == 404


@pytest.mark.parametrize("name", sorted(n for n in NAMES if TABLE[n][0] == ACTION))
def test_state_changes_refuse_get_and_need_the_csrf_token(user, owned, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(url(name, owned)).status_code == 405
    assert client.post(url(name, owned)).status_code == 403


@pytest.mark.parametrize("name", sorted(n for n in NAMES if TABLE[n][0] == PAGE))
def test_pages_answer_their_owner(client_for, user, owned, name):
    """A ZIP not yet written, and audio the fixture never stored, are a 404 for everyone."""
    expected = (
        404
        if name in {"exports:download", "library:audio", "library:download", *STAFF_ONLY}
        else 200
    )
    assert client_for(user).get(url(name, owned)).status_code in {expected, 302}

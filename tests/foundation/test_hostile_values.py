"""A NUL byte or an over-long value in any field of any page is refused plainly, never a 500.

PostgreSQL refuses NUL characters in text and values longer than a column, so a
value that reaches the database unchecked is an internal error there; every
page is tried on both databases with every field name the templates and views
use.
"""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exports.models import Export
from imports.models import Batch
from kits.models import Kit
from tests.files import wav_bytes
from tests.foundation.test_access import all_url_names

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Query parameters the views read that no template names.
READ_BY_VIEWS = {"pad", "pick", "corrected", "was", "page", "path", "file_count", "total_bytes"}
FIELDS = sorted(
    {
        name
        for template in TEMPLATES.rglob("*.html")
        for name in re.findall(r'name="([a-z_0-9]+)"', template.read_text())
    }
    | READ_BY_VIEWS
)
VALUES = {"nul": "kick\x00drum", "long": "x" * 5000}
SKIPPED = {"accounts:logout"}  # Ends the session the rest of the requests need.
PAGES = sorted(
    name
    for name, _ in all_url_names()
    if not name.startswith("admin:") and name not in SKIPPED and ":" in name
)


@pytest.fixture
def objects(user, make_sample, make_features):
    sample = make_sample(user, name="Kick")
    make_features(sample)
    tag = sample.add_tag("dusty")
    kit = Kit.objects.create(owner=user, name="Kit")
    kit.assign("A", 1, sample)
    batch = Batch.objects.start(user, source="upload", name="b", total_files=5)
    export = Export.objects.create(owner=user, name="e", source="selection")
    return {"sample": sample, "tag": tag, "kit": kit, "batch": batch, "export": export}


def url_for(name: str, objects) -> str:
    namespace = name.split(":")[0]
    owner = {"imports": "batch", "kits": "kit", "exports": "export"}.get(namespace, "sample")
    if name in {"library:rename_tag", "library:delete_tag"}:
        owner = "tag"
    pattern = dict(all_url_names())[name]
    values = {"pk": objects[owner].pk, "tag_pk": objects["tag"].pk, "bank": "A", "pad_number": 1}
    return reverse(name, kwargs={key: values[key] for key in pattern.pattern.converters})


@pytest.mark.parametrize("kind", sorted(VALUES))
@pytest.mark.parametrize("name", PAGES)
def test_hostile_values_never_cause_an_internal_error(client_for, user, objects, name, kind):
    client = client_for(user)
    url = url_for(name, objects)
    data = dict.fromkeys(FIELDS, VALUES[kind])

    answers = [client.get(url, data)]
    for upload_field in ("file", "files"):
        upload = SimpleUploadedFile(f"a{VALUES[kind][:200]}.wav", wav_bytes(), "audio/wav")
        answers.append(client.post(url, {**data, upload_field: upload}))

    assert [answer.status_code for answer in answers if answer.status_code >= 500] == []

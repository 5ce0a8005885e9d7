"""Every list page runs a fixed number of queries, however many rows it shows."""

import pytest
from django.urls import reverse

from exports.models import Export, ExportItem
from imports.models import Batch, BatchItem
from kits.models import Kit, KitPad

pytestmark = pytest.mark.django_db


def fill(user, make_sample, rows: int) -> None:
    for number in range(rows):
        sample = make_sample(user)
        sample.add_tag(f"tag {number}")
        batch = Batch.objects.create(owner=user, name=f"b{number}", source="folder", total_files=1)
        BatchItem.objects.create(batch=batch, path="a.wav", sample=sample, status="imported")
        kit = Kit.objects.create(owner=user, name=f"kit {number}")
        KitPad.objects.create(kit=kit, bank="A", pad_number=1, sample=sample)
        export = Export.objects.create(owner=user, name=f"e{number}", source="kit", kit=kit)
        ExportItem.objects.create(export=export, sample=sample, output_name=f"e/{number}.wav")
        trashed = make_sample(user)
        trashed.move_to_trash()


LIST_PAGES = ["library:index", "imports:batch_list", "library:trash", "library:tags", "kits:index", "exports:index"]  # fmt: skip


@pytest.mark.parametrize("name", LIST_PAGES)
@pytest.mark.parametrize("rows", [2, 25])
def test_list_pages_run_a_fixed_number_of_queries(
    client_for, user, make_sample, django_assert_max_num_queries, name, rows
):
    fill(user, make_sample, rows)
    client = client_for(user)
    with django_assert_max_num_queries(9):
        response = client.get(reverse(name))
    assert response.status_code == 200


def test_batch_page_query_count_is_fixed(
    client_for, user, make_sample, django_assert_max_num_queries
):
    batch = Batch.objects.create(
        owner=user, name="b", source="folder", total_files=30, status="completed"
    )
    for _ in range(30):
        BatchItem.objects.create(
            batch=batch, path="a.wav", sample=make_sample(user), status="imported"
        )
    client = client_for(user)
    with django_assert_max_num_queries(6):
        client.get(reverse("imports:batch_detail", args=[batch.pk]))

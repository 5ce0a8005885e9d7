"""The admin: every model's pages render, preferences are one row, costs add up."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import SitePreferences
from exports.models import Export, ExportItem
from imports.models import Batch, BatchItem
from kits.models import Kit, KitPad
from library.models import SampleTag, Tag
from vibe.models import ApiUsage, ModelPrice, VibeAnalysis

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_of_everything(staff_user, make_sample, make_features):
    sample = make_sample(staff_user)
    make_features(sample, feature_vector=b"\x00" * 8)
    tag = Tag.objects.create(owner=staff_user, name="dusty")
    SampleTag.objects.create(sample=sample, tag=tag)
    VibeAnalysis.objects.create(sample=sample, model="m", energy=0.5)
    batch = Batch.objects.create(owner=staff_user, name="b", source="folder", total_files=1)
    BatchItem.objects.create(batch=batch, path="a.wav", sample=sample, status="imported")
    kit = Kit.objects.create(owner=staff_user, name="k")
    KitPad.objects.create(kit=kit, bank="A", pad_number=1, sample=sample)
    export = Export.objects.create(owner=staff_user, name="e", source="kit", kit=kit)
    ExportItem.objects.create(export=export, sample=sample, output_name="e/A/01 KICK.wav")
    ModelPrice.objects.create(
        model="m",
        prompt_price_per_million=Decimal("0.15"),
        completion_price_per_million=Decimal("0.6"),
    )
    ApiUsage.objects.create(model="m", operation="single", user=staff_user, sample=sample)
    return SitePreferences.load()


def test_every_registered_model_has_working_admin_pages(client_for, staff_user, one_of_everything):
    client = client_for(staff_user)
    assert client.get(reverse("admin:index")).status_code == 200
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = client.get(reverse("admin:{}_{}_changelist".format(*info)), follow=True)
        assert changelist.status_code == 200, info
        obj = model.objects.first()
        if obj is not None:
            change = client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            assert change.status_code == 200, info
        if model_admin.has_add_permission(_request_for(staff_user)):
            assert client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200, info


def _request_for(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def test_preferences_admin_edits_the_single_row_only(client_for, staff_user):
    client = client_for(staff_user)
    response = client.get(reverse("admin:core_sitepreferences_changelist"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:core_sitepreferences_change", args=[1])
    assert client.get(reverse("admin:core_sitepreferences_add")).status_code == 403
    assert client.get(reverse("admin:core_sitepreferences_delete", args=[1])).status_code == 403


def test_api_usage_admin_is_read_only(client_for, staff_user, one_of_everything):
    client = client_for(staff_user)
    usage = ApiUsage.objects.get()
    assert client.get(reverse("admin:vibe_apiusage_add")).status_code == 403
    response = client.post(
        reverse("admin:vibe_apiusage_change", args=[usage.pk]), {"model": "changed"}
    )
    assert response.status_code == 403
    usage.refresh_from_db()
    assert usage.model == "m"


def test_api_usage_admin_totals_match_the_filtered_rows(client_for, staff_user):
    rows = [
        ("cheap", "single", 100, 20, "0.00001200"),
        ("cheap", "batch", 300, 60, "0.00003600"),
        ("big", "single", 1000, 500, "0.01250000"),
    ]
    for model, operation, prompt, completion, cost in rows:
        ApiUsage.objects.create(
            model=model,
            operation=operation,
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=prompt + completion,
            cost=Decimal(cost),
            user=staff_user,
        )
    client = client_for(staff_user)

    everything = client.get(reverse("admin:vibe_apiusage_changelist")).context
    assert everything["totals"]["cost"] == Decimal("0.01254800")
    assert everything["totals"]["total_tokens"] == 1980
    by_model = {row["model"]: row["cost"] for row in everything["by_model"]}
    assert by_model == {"big": Decimal("0.0125"), "cheap": Decimal("0.000048")}
    by_operation = {row["operation"]: row["calls"] for row in everything["by_operation"]}
    assert by_operation == {"batch": 1, "single": 2}
    by_day = list(everything["by_day"])
    assert len(by_day) == 1
    assert by_day[0]["day"] == timezone.now().date()

    filtered = client.get(reverse("admin:vibe_apiusage_changelist"), {"model": "cheap"}).context
    assert filtered["totals"]["cost"] == Decimal("0.000048")
    assert filtered["totals"]["total_tokens"] == 480


def test_price_table_is_editable(client_for, staff_user):
    client = client_for(staff_user)
    response = client.post(
        reverse("admin:vibe_modelprice_add"),
        {
            "model": "local/llama",
            "prompt_price_per_million": "0",
            "completion_price_per_million": "0",
        },
    )
    assert response.status_code == 302
    assert ModelPrice.objects.get().model == "local/llama"


def test_api_usage_admin_shows_costs_as_money(client_for, staff_user):
    for cost in ("0.00030800", "0.00061600"):
        ApiUsage.objects.create(model="m", operation="single", cost=Decimal(cost), user=staff_user)
    page = client_for(staff_user).get(reverse("admin:vibe_apiusage_changelist"))
    text = page.content.decode()
    assert "<strong>0.000924 USD</strong>" in text
    assert "<td>0.000924 USD</td>" in text  # the by-model, by-day and by-operation rows
    assert "0.000308 USD" in text and "0.000616 USD" in text  # each call's row
    assert "0.0009240" not in text and "0.00030800" not in text


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: SitePreferences.load(), "monthly_budget"),
        (lambda: SitePreferences.load(), "max_cost_per_request"),
        (
            lambda: ModelPrice(
                model="m", prompt_price_per_million=1, completion_price_per_million=1
            ),
            "prompt_price_per_million",
        ),
        (
            lambda: ModelPrice(
                model="m", prompt_price_per_million=1, completion_price_per_million=1
            ),
            "completion_price_per_million",
        ),
    ],
)
def test_a_negative_cost_is_refused_in_words(make, field):
    """Not "Constraint … is violated": the field says what it wants."""
    row = make()
    setattr(row, field, Decimal("-5"))
    with pytest.raises(ValidationError) as refused:
        row.full_clean()
    assert refused.value.message_dict == {
        field: ["Ensure this value is greater than or equal to 0."]
    }

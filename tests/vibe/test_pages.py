"""The UI: the sample page's button, its progress, the bulk action, the usage page, automatic runs."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import SitePreferences
from imports.models import Batch, BatchItem
from imports.sources import import_paths
from library.models import Sample
from library.signals import analysed
from library.tasks import analyze_sample
from tests import audiogen
from tests.files import write_audio
from tests.vibe.conftest import API_KEY, BATCH_MODEL, MODEL
from vibe.models import ApiUsage, ModelPrice, VibeAnalysis

pytestmark = pytest.mark.django_db


def detail(sample):
    return reverse("library:sample_detail", args=[sample.pk])


def describe_url(sample):
    return reverse("vibe:describe_vibe", args=[sample.pk])


def test_not_configured_the_button_explains_how_to_enable_it(
    vibe_off, client_for, user, measured_sample
):
    page = client_for(user).get(detail(measured_sample)).content.decode()

    assert "Describe vibe" in page
    assert "SP404_LLM_API_KEY" in page and "SP404_LLM_BASE_URL" in page
    assert describe_url(measured_sample) not in page


def test_not_configured_a_post_explains_and_calls_nothing(
    vibe_off, client_for, user, measured_sample, run_tasks
):
    response = client_for(user).post(describe_url(measured_sample), follow=True)

    assert "Vibe analysis is not set up" in response.content.decode()
    assert run_tasks == []
    assert not ApiUsage.objects.exists()


def test_the_button_describes_the_sample_in_the_background(
    vibe_on, client_for, user, measured_sample, run_tasks, django_capture_on_commit_callbacks
):
    client = client_for(user)
    assert describe_url(measured_sample) in client.get(detail(measured_sample)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(describe_url(measured_sample))

    assert response.status_code == 302
    assert run_tasks == [("vibe.tasks.describe_vibe", (measured_sample.pk, "single"))]
    assert vibe_on.sent_json()["model"] == MODEL
    page = client.get(detail(measured_sample)).content.decode()
    assert "A hard, gritty kick with a dark low end." in page
    assert "Describe vibe again" in page
    assert API_KEY not in page


def test_htmx_button_returns_only_the_vibe_section_polling_for_the_result(
    vibe_on, client_for, user, measured_sample, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(user).post(
            describe_url(measured_sample),
            headers={"HX-Request": "true", "HX-Target": "sample-vibe"},
        )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="sample-vibe"' in page
    assert "Log out" not in page
    assert reverse("vibe:vibe_status", args=[measured_sample.pk]) in page
    assert 'hx-trigger="every 1s"' in page


def test_status_polling_stops_with_286_when_the_description_is_done(
    vibe_on, client_for, user, measured_sample
):
    client = client_for(user)
    url = reverse("vibe:vibe_status", args=[measured_sample.pk])
    VibeAnalysis.request([measured_sample.pk])
    htmx = {"HX-Request": "true", "HX-Target": "sample-vibe"}

    waiting = client.get(url, headers=htmx)
    VibeAnalysis.fail(measured_sample.pk, "The model server answered 500.")
    finished = client.get(url, headers=htmx)

    assert waiting.status_code == 200
    assert "every 1s" in waiting.content.decode()
    assert finished.status_code == 286
    assert "answered 500" in finished.content.decode()
    assert "HX-Request" in finished["Vary"]
    assert client.get(url).status_code == 302


def test_a_description_whose_worker_vanished_stops_polling_and_says_so(
    vibe_on, client_for, user, measured_sample
):
    VibeAnalysis.request([measured_sample.pk])
    long_ago = timezone.now() - timedelta(days=1)
    VibeAnalysis.objects.filter(pk=measured_sample.pk).update(
        status=VibeAnalysis.Status.DESCRIBING, updated_at=long_ago
    )
    url = reverse("vibe:vibe_status", args=[measured_sample.pk])
    response = client_for(user).get(url, headers={"HX-Request": "true", "HX-Target": "sample-vibe"})
    assert response.status_code == 286
    assert "stopped before it finished" in response.content.decode()


def test_a_refusal_is_shown_and_nothing_is_queued(
    vibe_on, client_for, user, measured_sample, run_tasks, django_capture_on_commit_callbacks
):
    preferences = SitePreferences.load()
    preferences.monthly_budget = Decimal("0.00000001")
    preferences.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(
            describe_url(measured_sample),
            headers={"HX-Request": "true", "HX-Target": "sample-vibe"},
        )

    assert "budget is left" in response.content.decode()
    assert run_tasks == []
    assert vibe_on.requests == []


def test_another_users_sample_cannot_be_described(vibe_on, client_for, other_user, measured_sample):
    client = client_for(other_user)

    assert client.post(describe_url(measured_sample)).status_code == 404
    url = reverse("vibe:vibe_status", args=[measured_sample.pk])
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 404


def test_bulk_action_describes_each_selected_sample_with_the_batch_model(
    vibe_on, client_for, user, make_sample, run_tasks, django_capture_on_commit_callbacks
):
    samples = [make_sample(user), make_sample(user)]
    index = client_for(user).get(reverse("library:index")).content.decode()
    assert '<option value="vibe">Describe vibe</option>' in index

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(
            reverse("library:bulk"),
            {"action": "vibe", "samples": [str(sample.pk) for sample in samples]},
            follow=True,
        )

    assert "Queued for vibe description" in response.content.decode()
    assert len(run_tasks) == 2
    assert {request["json"]["model"] for request in vibe_on.requests} == {BATCH_MODEL}
    assert set(ApiUsage.objects.values_list("operation", flat=True)) == {"batch"}
    assert VibeAnalysis.objects.filter(status="ready").count() == 2


def test_bulk_action_not_configured_says_so_and_queues_nothing(
    vibe_off, client_for, user, measured_sample, run_tasks
):
    client = client_for(user)
    response = client.post(
        reverse("library:bulk"),
        {"action": "vibe", "samples": [str(measured_sample.pk)]},
        follow=True,
    )
    page = response.content.decode()
    assert "Vibe analysis is not set up" in page and "Queued" not in page
    assert run_tasks == []
    assert not VibeAnalysis.objects.filter(sample=measured_sample).exists()


def test_a_refusal_recorded_before_setup_is_forgotten_by_the_migration(measured_sample):
    from importlib import import_module

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    migration = import_module("library.migrations.0013_forget_not_set_up_refusals")
    # The models as that migration knew them (the table has kept its name since).
    apps = (
        MigrationLoader(connection)
        .project_state(("library", "0013_forget_not_set_up_refusals"))
        .apps
    )
    VibeAnalysis.objects.create(
        sample=measured_sample,
        model="m",
        status="failed",
        error="Vibe analysis is not set up. Set...",
    )
    migration.forget_refusals(apps, None)
    assert VibeAnalysis.objects.filter(sample=measured_sample, status="ready", error="").exists()


def test_usage_page_shows_the_month_against_the_budget(
    vibe_on, client_for, user, other_user, staff_user, measured_sample
):
    ApiUsage.objects.create(
        model=MODEL, cost=Decimal("0.00012345"), total_tokens=900, operation="single", user=user
    )
    ApiUsage.objects.create(
        model=BATCH_MODEL, cost=Decimal("0.5"), total_tokens=50, operation="batch", user=other_user
    )

    page = client_for(staff_user).get(reverse("vibe:usage")).content.decode()

    assert "$0.50012345" in page
    assert "$5.00000000" in page
    assert MODEL in page and BATCH_MODEL in page
    assert "Single sample" in page and "Batch" in page
    assert "alice" in page and "bob" in page
    assert page.count("<rect") >= 28
    assert API_KEY not in page


def test_usage_page_shows_other_users_spending_only_to_staff(vibe_on, client_for, user, other_user):
    ApiUsage.objects.create(model=MODEL, cost=Decimal("0.1"), operation="single", user=other_user)

    response = client_for(user).get(reverse("vibe:usage"))

    assert response.status_code == 200
    assert list(response.context["by_user"]) == []
    assert "$0.10000000" in response.content.decode()


def test_usage_page_warns_of_a_chosen_model_without_a_price(vibe_on, client_for, staff_user):
    page = client_for(staff_user).get(reverse("vibe:usage")).content.decode()
    assert "has no price" not in page
    ModelPrice.objects.filter(model=BATCH_MODEL).delete()
    page = client_for(staff_user).get(reverse("vibe:usage")).content.decode()
    assert f"{BATCH_MODEL} has no price, so its calls are refused" in page
    assert MODEL + " has no price" not in page


def test_usage_page_says_when_vibe_analysis_is_off(vibe_off, client_for, user):
    page = client_for(user).get(reverse("vibe:usage")).content.decode()

    assert "not set up" in page


@pytest.mark.parametrize(
    ("source", "total_files", "operation"),
    [("upload", 1, "single"), ("upload", 3, "batch"), ("folder", 1, "batch")],
)
def test_automatic_runs_follow_the_preferences(
    vibe_on, user, make_sample, run_tasks, django_capture_on_commit_callbacks,
    source, total_files, operation,
):  # fmt: skip
    sample = make_sample(user)
    batch = Batch.objects.create(owner=user, name="b", source=source, total_files=total_files)
    BatchItem.objects.create(batch=batch, path="a.wav", sample=sample, status="imported")
    preferences = SitePreferences.load()

    analysed.send(sender=Sample, sample=sample)
    assert run_tasks == [], "off by default"

    setattr(preferences, f"auto_vibe_{operation}", True)
    preferences.save()
    with django_capture_on_commit_callbacks(execute=True):
        analysed.send(sender=Sample, sample=sample)

    assert run_tasks == [("vibe.tasks.describe_vibe", (sample.pk, operation))]
    assert ApiUsage.objects.get().operation == operation


@pytest.mark.slow
def test_a_batch_import_is_described_after_its_analysis(
    vibe_on, user, tmp_path, run_tasks, django_capture_on_commit_callbacks
):
    preferences = SitePreferences.load()
    preferences.auto_vibe_batch = True
    preferences.save()
    kick = write_audio(Path(tmp_path) / "Drums" / "kick.wav", audiogen.kick())
    import_paths(Batch.objects.start(user, source=Batch.Source.FOLDER, name="t"), [kick])
    sample = Sample.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        assert analyze_sample(sample.pk) == Sample.Status.READY

    vibe = VibeAnalysis.objects.get(sample=sample)
    assert vibe.status == "ready"
    assert vibe.model == BATCH_MODEL
    assert '"category": "kick"' in vibe_on.sent_json()["messages"][-1]["content"]

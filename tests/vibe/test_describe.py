"""Describing a sample end to end: what is sent, what is stored, what each call cost."""

import json
import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from core.models import SitePreferences
from library.models import Sample, SampleTag
from library.search import search
from tests.vibe.conftest import API_KEY, GOOD_ANSWER, MODEL, chat_completion
from vibe.models import ApiUsage, VibeAnalysis
from vibe.service import NOT_CONFIGURED, VibeError, describe, is_configured
from vibe.tasks import describe_vibe, queue_vibe

pytestmark = pytest.mark.django_db


def test_the_measurements_are_sent_and_unknowns_are_null(vibe_on, measured_sample):
    describe(measured_sample, "single")

    sent = json.loads(vibe_on.sent_json()["messages"][-1]["content"])
    assert sent["name"] == "Kick Deep"
    assert sent["category"] == "kick"
    assert sent["type"] == "one-shot"
    assert sent["tags"] == ["808"]
    assert sent["spectral_centroid_hz"] == 420.5
    # Not measured: sent as unknown, never guessed.
    assert sent["loudness_lufs"] is None
    assert sent["tempo_bpm"] is None
    assert sent["key"] is None and sent["scale"] is None


def test_a_sample_without_features_sends_every_measurement_as_null(vibe_on, user, make_sample):
    describe(make_sample(user), "single")

    sent = json.loads(vibe_on.sent_json()["messages"][-1]["content"])
    assert sent["rms"] is None and sent["harmonic_ratio"] is None


def test_the_description_is_stored_with_vibe_tags_and_an_empty_genre_filled(
    vibe_on, measured_sample
):
    vibe = describe(measured_sample, "single")

    vibe.refresh_from_db()
    assert vibe.status == VibeAnalysis.Status.READY
    assert (vibe.mood_primary, vibe.energy, vibe.model) == ("dark", 0.8, MODEL)
    assert vibe.texture_tags == ["gritty", "punchy"]
    sample = Sample.objects.get(pk=measured_sample.pk)
    assert sample.genre == "techno"
    sources = dict(SampleTag.objects.filter(sample=sample).values_list("tag__name", "source"))
    assert sources == {"808": "user", "gritty": "vibe", "punchy": "vibe"}


def test_values_set_by_hand_are_never_overwritten(vibe_on, measured_sample):
    measured_sample.save(update_fields=measured_sample.set_by_user(genre=""))
    measured_sample.add_tag("Gritty")  # The user's own tag, same word.

    describe(measured_sample, "single")

    sample = Sample.objects.get(pk=measured_sample.pk)
    assert sample.genre == ""
    assert SampleTag.objects.get(sample=sample, tag__name="Gritty").source == "user"


def test_an_existing_genre_is_kept(vibe_on, user, make_sample):
    sample = make_sample(user, genre="house")

    describe(sample, "single")

    assert Sample.objects.get(pk=sample.pk).genre == "house"


def test_moods_and_textures_are_found_by_search(vibe_on, measured_sample):
    describe(measured_sample, "single")

    for word in ["dark", "tense", "gritty"]:
        found = search(Sample.objects.all(), word)
        assert list(found.values_list("pk", flat=True)) == [measured_sample.pk], word


def test_cost_is_tokens_times_price_without_a_reported_cost(vibe_on, measured_sample):
    vibe_on.reply(chat_completion(GOOD_ANSWER, prompt_tokens=1000, completion_tokens=100))

    describe(measured_sample, "single")

    usage = ApiUsage.objects.get()
    # 1000 x 0.15/1e6 + 100 x 0.60/1e6
    assert usage.cost == Decimal("0.00021000")
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (1000, 100, 1100)
    assert (usage.model, usage.operation) == (MODEL, "single")
    assert (usage.sample, usage.user) == (measured_sample, measured_sample.owner)


def test_the_providers_reported_cost_wins_and_is_kept_to_1e8(vibe_on, measured_sample):
    vibe_on.reply(chat_completion(GOOD_ANSWER, cost=0.00000123))

    describe(measured_sample, "single")

    assert ApiUsage.objects.get().cost == Decimal("0.00000123")


def test_an_invalid_answer_is_retried_once_with_the_error(vibe_on, measured_sample):
    vibe_on.reply(chat_completion({**GOOD_ANSWER, "energy": 7}))

    vibe = describe(measured_sample, "single")

    assert vibe.energy == 0.8
    retry = vibe_on.sent_json(1)["messages"]
    assert "energy must be between 0 and 1" in retry[-1]["content"]
    assert ApiUsage.objects.count() == 2, "both calls are paid for"


def test_malformed_json_twice_is_recorded_as_a_failure(vibe_on, measured_sample, run_tasks):
    vibe_on.reply(chat_completion("{not json"))
    vibe_on.reply(chat_completion("still not json"))
    VibeAnalysis.request([measured_sample.pk])

    assert describe_vibe(measured_sample.pk, "single") == "failed"

    vibe = VibeAnalysis.objects.get(sample=measured_sample)
    assert vibe.status == "failed"
    assert "invalid twice: the answer is not valid JSON" in vibe.error
    assert ApiUsage.objects.count() == 2


def test_a_server_error_is_recorded_and_costs_nothing(vibe_on, measured_sample):
    for _ in range(4):
        vibe_on.reply({"error": "down"}, status=500)

    with pytest.raises(VibeError, match="500"):
        describe(measured_sample, "single")
    assert ApiUsage.objects.get().cost == 0


def test_a_timeout_keeps_the_reserved_worst_case(vibe_on, settings, measured_sample):
    settings.LLM_TIMEOUT = 0.3
    vibe_on.reply(chat_completion(GOOD_ANSWER), delay=1.5)

    with pytest.raises(VibeError, match="did not answer"):
        describe(measured_sample, "single")
    assert ApiUsage.objects.get().cost > 0


def test_the_task_is_idempotent(vibe_on, measured_sample):
    VibeAnalysis.request([measured_sample.pk])

    assert describe_vibe(measured_sample.pk, "single") == "ready"
    assert describe_vibe(measured_sample.pk, "single") == "skipped"
    assert len(vibe_on.requests) == 1


def test_a_retry_takes_over_the_claim_of_a_run_the_cluster_killed(vibe_on, measured_sample):
    VibeAnalysis.request([measured_sample.pk])
    VibeAnalysis.objects.filter(pk=measured_sample.pk).update(status=VibeAnalysis.Status.DESCRIBING)
    # A claim younger than the task timeout may still be running: leave it alone.
    assert describe_vibe(measured_sample.pk, "single") == "skipped"
    killed = timezone.now() - timedelta(seconds=settings.TASK_TIMEOUT + 1)
    VibeAnalysis.objects.filter(pk=measured_sample.pk).update(updated_at=killed)
    assert describe_vibe(measured_sample.pk, "single") == "ready"
    assert len(vibe_on.requests) == 1


def test_default_url_without_a_key_is_not_configured(vibe_off, measured_sample):
    assert not is_configured()
    with pytest.raises(VibeError) as raised:
        describe(measured_sample, "single")
    assert str(raised.value) == NOT_CONFIGURED
    assert not ApiUsage.objects.exists()


def test_a_local_server_needs_no_key_and_can_be_free(vibe_on, settings, user, make_sample):
    settings.LLM_API_KEY = ""
    settings.LLM_FREE = True
    preferences = SitePreferences.load()
    preferences.vibe_model = "local-llama"  # No price row.
    preferences.save()

    assert is_configured()
    describe(make_sample(user), "single")

    assert "Authorization" not in vibe_on.requests[0]["headers"]
    usage = ApiUsage.objects.get()
    assert (usage.model, usage.cost, usage.total_tokens) == ("local-llama", 0, 1100)


def test_the_key_never_reaches_errors_or_logs(vibe_on, measured_sample, caplog):
    caplog.set_level(logging.DEBUG)
    vibe_on.reply({"error": f"key {API_KEY} rejected"}, status=401)
    VibeAnalysis.request([measured_sample.pk])

    describe_vibe(measured_sample.pk, "single")

    vibe = VibeAnalysis.objects.get(sample=measured_sample)
    assert "401" in vibe.error
    assert API_KEY not in vibe.error
    assert "Vibe call for sample" in caplog.text
    assert API_KEY not in caplog.text


def test_queueing_without_configuration_records_nothing_on_the_samples(vibe_off, measured_sample):
    assert queue_vibe([measured_sample.pk], "batch") == 0
    assert not VibeAnalysis.objects.filter(sample=measured_sample).exists()

"""The cost guard: limits per request and per month, unpriced models, and concurrent calls."""

import math
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.models import SitePreferences
from tests.vibe.conftest import GOOD_ANSWER, MODEL, chat_completion
from vibe import budget
from vibe.budget import BudgetRefused, estimate_prompt_tokens, quote, reserve
from vibe.models import ApiUsage, ModelPrice
from vibe.schema import build_messages
from vibe.service import MAX_TOKENS, VibeError, describe, measurements


def set_limits(per_request=None, monthly=None):
    preferences = SitePreferences.load()
    if per_request is not None:
        preferences.max_cost_per_request = per_request
    if monthly is not None:
        preferences.monthly_budget = monthly
    preferences.save()


def worst_case_for(sample) -> Decimal:
    return quote(MODEL, build_messages(measurements(sample)), MAX_TOKENS, free=False).worst_case


@pytest.mark.django_db
def test_worst_case_is_prompt_characters_over_three_plus_max_tokens(vibe_on):
    messages = [{"role": "user", "content": "x" * 3001}]
    assert estimate_prompt_tokens(messages) == 1001

    worst = quote(MODEL, messages, 400, free=False).worst_case

    # 1001 x 0.15/1e6 + 400 x 0.60/1e6, kept to 1e-8 and never rounded to cents.
    assert worst == Decimal("0.00039015")


@pytest.mark.django_db
def test_a_call_over_the_per_request_limit_is_not_made(vibe_on, measured_sample):
    set_limits(per_request=worst_case_for(measured_sample) - Decimal("0.00000001"))

    with pytest.raises(VibeError, match=r"more than the limit of .* per request"):
        describe(measured_sample, "single")
    assert vibe_on.requests == []
    assert not ApiUsage.objects.exists()


@pytest.mark.django_db
def test_a_call_over_the_months_remainder_is_not_made(vibe_on, measured_sample):
    set_limits(monthly=Decimal("1.00"))
    ApiUsage.objects.create(model=MODEL, cost=Decimal("0.99990000"), operation="single")

    with pytest.raises(VibeError, match=r"only \$0.00010000 of this month's \$1.00000000 budget"):
        describe(measured_sample, "single")
    assert vibe_on.requests == []


@pytest.mark.django_db
def test_last_months_spend_does_not_count(vibe_on, measured_sample):
    set_limits(monthly=Decimal("1.00"))
    old = ApiUsage.objects.create(model=MODEL, cost=Decimal("1.00"), operation="single")
    ApiUsage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))

    describe(measured_sample, "single")

    assert len(vibe_on.requests) == 1


@pytest.mark.django_db
def test_a_call_that_exactly_fits_is_made(vibe_on, measured_sample):
    worst = worst_case_for(measured_sample)
    set_limits(per_request=worst, monthly=worst)

    describe(measured_sample, "single")

    assert len(vibe_on.requests) == 1


@pytest.mark.django_db
def test_a_model_without_a_price_is_refused(vibe_on, measured_sample):
    preferences = SitePreferences.load()
    preferences.vibe_model = "someone/unpriced-model"
    preferences.save()

    with pytest.raises(VibeError, match="has no price"):
        describe(measured_sample, "single")
    assert vibe_on.requests == []


@pytest.mark.django_db
def test_the_default_model_works_with_only_a_key(vibe_on, measured_sample):
    ModelPrice.objects.all().delete()
    preferences = SitePreferences.load()
    preferences.vibe_model = SitePreferences._meta.get_field("vibe_model").default
    preferences.save()

    describe(measured_sample, "single")

    assert len(vibe_on.requests) == 1
    usage = ApiUsage.objects.get()
    assert usage.model == "openai/gpt-4o-mini" and usage.cost > 0


def run_together(count, work):
    """Run `work(index)` in `count` threads released at the same moment; collect the outcomes."""
    barrier = threading.Barrier(count)
    outcomes = []

    def run(index):
        try:
            barrier.wait()
            outcomes.append(work(index))
        except (BudgetRefused, VibeError) as refusal:
            outcomes.append(f"refused: {refusal}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_concurrent_reservations_never_exceed_the_month(vibe_on):
    messages = [{"role": "user", "content": "x" * 3000}]
    worst = quote(MODEL, messages, 400, free=False).worst_case
    set_limits(per_request=Decimal(1), monthly=worst * 3 + worst / 2)

    def work(_index):
        reserve(MODEL, messages, 400, free=False, operation="batch")
        return "reserved"

    outcomes = run_together(8, work)

    assert outcomes.count("reserved") == 3
    assert len(outcomes) == 8
    assert budget.month_spent() <= SitePreferences.load().monthly_budget


@pytest.mark.django_db(transaction=True)
def test_concurrent_descriptions_cannot_both_pass_a_check_only_one_fits(vibe_on, user, make_sample):
    samples = [make_sample(user, name=f"Loop {index}") for index in range(4)]
    worst = worst_case_for(samples[0])
    set_limits(per_request=Decimal(1), monthly=worst + worst / 2)
    # Slow answers, so every call is under way at once; each really costs its worst case.
    vibe_on.delay = 0.5
    vibe_on.script.clear()
    for _ in samples:
        vibe_on.reply(chat_completion(GOOD_ANSWER, cost=float(worst)), delay=0.5)

    outcomes = run_together(4, lambda index: describe(samples[index], "single") and "described")

    assert outcomes.count("described") == 1
    assert sum("budget is left" in outcome for outcome in outcomes) == 3
    assert len(vibe_on.requests) == 1
    assert budget.month_spent() <= SitePreferences.load().monthly_budget
    assert math.isclose(float(budget.month_spent()), float(worst))

"""The cost guard: refuse a call that could break a limit, and reserve its worst case first.

Every call is recorded as an ApiUsage row created *before* the call with the
worst-case cost, inside a transaction that locks the preferences row. Two calls
at once therefore queue on that lock, and the second sees the first one's
reservation in the month's total. After the call the row gets the real cost.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from core.models import SitePreferences
from vibe.models import ApiUsage, ModelPrice

# Costs are kept to 1e-8 USD, like the columns that store them.
COST_STEP = Decimal("0.00000001")
CHARACTERS_PER_TOKEN = 3  # Conservative: English averages about four.
# USD per million prompt and completion tokens of the default model (OpenAI's list
# price, which OpenRouter passes on), so a fresh install works with only an API
# key. A row in the price table overrides it; after each call the provider's
# reported cost is what gets recorded, so this only bounds a call beforehand.
SHIPPED_PRICES = {"openai/gpt-4o-mini": (Decimal("0.15"), Decimal("0.60"))}


class BudgetRefused(Exception):
    """A call that was not made because it could cost more than is allowed; says why."""


@dataclass
class Quote:
    """A call's worst case: the price to apply (None for a free endpoint) and the cost."""

    price: ModelPrice | None
    worst_case: Decimal


def exact(cost: Decimal) -> Decimal:
    return cost.quantize(COST_STEP)


def estimate_prompt_tokens(messages: list[dict]) -> int:
    """An upper estimate of the prompt's tokens: its characters / 3, rounded up."""
    characters = sum(len(message["content"]) for message in messages)
    return math.ceil(characters / CHARACTERS_PER_TOKEN)


def month_spent() -> Decimal:
    """This month's spend so far, reservations for calls under way included."""
    return ApiUsage.objects.this_month().aggregate(total=Sum("cost"))["total"] or Decimal(0)


def price_of(model: str) -> ModelPrice | None:
    """The price table's row for the model, else the shipped price of a default model."""
    price = ModelPrice.objects.filter(model=model).first()
    if price is None and model in SHIPPED_PRICES:
        prompt, completion = SHIPPED_PRICES[model]
        price = ModelPrice(
            model=model, prompt_price_per_million=prompt, completion_price_per_million=completion
        )
    return price


def quote(model: str, messages: list[dict], max_tokens: int, *, free: bool) -> Quote:
    """The worst-case cost of a call; refuses a model without a price unless it is free."""
    price = price_of(model)
    if free:
        return Quote(price=None, worst_case=Decimal(0))
    if price is None:
        raise BudgetRefused(
            f"The model {model} has no price in the price table, so its cost cannot be "
            "checked. Add its price in the admin (Model prices), or mark a local endpoint "
            "free with SP404_LLM_FREE=1."
        )
    return Quote(price, exact(price.cost_of(estimate_prompt_tokens(messages), max_tokens)))


def check(preferences: SitePreferences, worst_case: Decimal) -> None:
    """Refuse a call whose worst case exceeds the per-request limit or the month's remainder."""
    if worst_case > preferences.max_cost_per_request:
        raise BudgetRefused(
            f"This call could cost up to ${worst_case:f}, more than the limit of "
            f"${preferences.max_cost_per_request:f} per request."
        )
    remaining = exact(preferences.monthly_budget - month_spent())
    if worst_case > remaining:
        raise BudgetRefused(
            f"This call could cost up to ${worst_case:f}, but only ${max(remaining, 0):f} "
            f"of this month's ${preferences.monthly_budget:f} budget is left."
        )


def precheck(model: str, messages: list[dict], max_tokens: int, *, free: bool) -> None:
    """Raise BudgetRefused now if the call would be refused (reserves nothing)."""
    check(SitePreferences.load(), quote(model, messages, max_tokens, free=free).worst_case)


def reserve(
    model: str, messages, max_tokens: int, *, free: bool, operation: str, user=None, sample=None
) -> tuple[ApiUsage, Quote]:
    """Record the call with its worst-case cost, atomically with the budget check."""
    SitePreferences.load()  # Make sure the row exists before locking it.
    with transaction.atomic():
        preferences = SitePreferences.objects.select_for_update().get(
            pk=SitePreferences.SINGLETON_ID
        )
        call_quote = quote(model, messages, max_tokens, free=free)
        check(preferences, call_quote.worst_case)
        usage = ApiUsage.objects.create(
            model=model,
            cost=call_quote.worst_case,
            operation=operation,
            user=user,
            sample=sample,
        )
    return usage, call_quote


def settle(usage: ApiUsage, call_quote: Quote, completion=None, *, billable=False) -> None:
    """Replace the reservation with the real cost: the provider's, else tokens x price.

    Without a completion, a call that may still have been charged (a timeout)
    keeps its worst case; one the server refused costs nothing.
    """
    if completion is None:
        if not billable:
            ApiUsage.objects.filter(pk=usage.pk).update(cost=Decimal(0))
        return
    if completion.cost is not None:
        cost = completion.cost
    elif call_quote.price is not None:
        cost = call_quote.price.cost_of(completion.prompt_tokens, completion.completion_tokens)
    else:
        cost = Decimal(0)
    ApiUsage.objects.filter(pk=usage.pk).update(
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        total_tokens=completion.total_tokens,
        cost=exact(cost),
    )

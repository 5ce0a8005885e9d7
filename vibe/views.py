"""Vibe analysis pages: the sample page's "Describe vibe" button, its progress, and the usage page."""

import calendar
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HTMX_STOP_POLLING

from core.models import SitePreferences
from library.models import Sample
from vibe.budget import price_of
from vibe.models import ApiUsage, VibeAnalysis, month_start
from vibe.service import VibeError, endpoint_host, is_configured, precheck
from vibe.tasks import queue_vibe

CHART_WIDTH = 600
CHART_HEIGHT = 120


@require_POST
def describe(request, pk):
    """Queue a vibe description of one sample, or say at once why it cannot be made."""
    sample = get_object_or_404(
        Sample.objects.owned_by(request.user).alive().select_related("features"), pk=pk
    )
    problem = ""
    try:
        precheck(sample, ApiUsage.Operation.SINGLE)
    except VibeError as error:
        problem = str(error)
    else:
        queue_vibe([sample.pk], ApiUsage.Operation.SINGLE)
    if request.htmx.target == "sample-vibe":
        return panel(request, sample.pk, problem)
    if problem:
        messages.error(request, problem)
    else:
        messages.info(request, "Describing the vibe; this page shows it when it is done.")
    return redirect("library:sample_detail", pk=sample.pk)


@require_safe
@vary_on_headers("HX-Request")
def vibe_status(request, pk):
    """The vibe section, polled while a description is under way; 286 stops the polling."""
    response = panel(request, pk, "")
    if not request.htmx:
        return redirect("library:sample_detail", pk=pk)
    vibe = response.context_data["vibe"]
    if vibe is None or not vibe.is_busy:
        response.status_code = HTMX_STOP_POLLING
    return response


def panel(request, pk, problem: str):
    """The sample page's vibe section on its own."""
    sample = get_object_or_404(Sample.objects.owned_by(request.user), pk=pk)
    vibe = VibeAnalysis.objects.filter(sample=sample).first()
    if vibe is not None:
        sample.vibe = vibe
    context = {"sample": sample, "vibe": vibe, "vibe_problem": problem}
    return TemplateResponse(request, "library/sample_detail.html#vibe", context)


@require_safe
def usage(request):
    """This month's language-model spend against the budget, by model, operation and user."""
    preferences = SitePreferences.load()
    month = ApiUsage.objects.this_month()
    spent = month.totals()["cost"] or Decimal(0)
    by_user = month.totals_by("user__username")
    if not request.user.is_staff:
        # Others' spending is for staff; everyone sees the installation's total.
        by_user = by_user.filter(user=request.user)
    budget = preferences.monthly_budget
    context = {
        "preferences": preferences,
        "month": month_start(),
        "spent": spent,
        "remaining": max(budget - spent, Decimal(0)),
        "percent_used": min(round(100 * spent / budget), 100) if budget else 100,
        "by_model": month.totals_by("model"),
        "by_operation": month.totals_by("operation"),
        "by_user": by_user,
        "chart": daily_chart(month.totals_by("day")),
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
        "configured": is_configured(),
        "endpoint": endpoint_host(),
        "free": settings.LLM_FREE,
        "unpriced": [] if settings.LLM_FREE else unpriced_models(preferences),
    }
    return TemplateResponse(request, "vibe/usage.html", context)


def unpriced_models(preferences) -> list[str]:
    """The chosen models without a price, whose calls the budget check refuses."""
    chosen = dict.fromkeys([preferences.vibe_model, preferences.batch_model])
    return [model for model in chosen if price_of(model) is None]


def daily_chart(rows) -> list[dict]:
    """SVG bars, one per day of this month, scaled to the most expensive day."""
    start = month_start()
    days = calendar.monthrange(start.year, start.month)[1]
    cost_by_day = {row["day"].day: row["cost"] or Decimal(0) for row in rows}
    highest = max(cost_by_day.values(), default=Decimal(0)) or Decimal(1)
    slot = CHART_WIDTH / days
    bars = []
    for day in range(1, days + 1):
        cost = cost_by_day.get(day, Decimal(0))
        height = float(cost / highest) * (CHART_HEIGHT - 10)
        bars.append(
            {
                "day": day,
                "cost": cost,
                "x": round((day - 1) * slot + 1, 2),
                "y": round(CHART_HEIGHT - height, 2),
                "width": round(slot - 2, 2),
                "height": round(height, 2),
            }
        )
    return bars

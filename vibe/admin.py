"""Admin for vibe analysis: descriptions, model prices and what every call cost."""

from django.contrib import admin

from core.admin import RecordAdmin
from vibe.models import ApiUsage, ModelPrice, VibeAnalysis
from vibe.templatetags.money import money


@admin.register(VibeAnalysis)
class VibeAnalysisAdmin(admin.ModelAdmin):
    list_display = [
        "sample",
        "mood_primary",
        "mood_secondary",
        "energy",
        "model",
        "confidence",
        "created_at",
    ]
    list_filter = ["mood_primary", "model"]
    search_fields = ["sample__name", "description", "mood_primary"]
    list_select_related = ["sample"]
    raw_id_fields = ["sample"]


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    list_display = [
        "model",
        "prompt_price_per_million",
        "completion_price_per_million",
        "updated_at",
    ]
    list_editable = ["prompt_price_per_million", "completion_price_per_million"]
    search_fields = ["model"]


@admin.register(ApiUsage)
class ApiUsageAdmin(RecordAdmin):
    """Read-only cost review with totals for whatever range the filters select."""

    change_list_template = "admin/vibe/apiusage/change_list.html"
    list_display = [
        "created_at",
        "model",
        "operation",
        "user",
        "sample",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "cost_display",
    ]
    list_filter = ["model", "operation", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["model", "user__username", "sample__name"]
    list_select_related = ["user", "sample"]
    date_hierarchy = "created_at"

    @admin.display(description="Cost", ordering="cost")
    def cost_display(self, usage):
        return money(usage.cost)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            usage = changelist.queryset
            response.context_data.update(
                totals=usage.totals(),
                by_model=usage.totals_by("model"),
                by_day=usage.totals_by("day"),
                by_operation=usage.totals_by("operation"),
            )
        return response

"""Admin for the library: samples, tags, imports, preferences and language-model costs."""

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse

from library.models import (
    ApiUsage,
    AudioFeatures,
    Batch,
    BatchItem,
    DuplicateScan,
    ModelPrice,
    Sample,
    SampleTag,
    Tag,
    UserPreference,
    VibeAnalysis,
)
from library.templatetags.money import money


class SampleTagInline(admin.TabularInline):
    model = SampleTag
    extra = 0
    raw_id_fields = ["tag"]


@admin.register(Sample)
class SampleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "owner",
        "category",
        "kind",
        "tempo_bpm",
        "key",
        "scale",
        "duration",
        "status",
        "created_at",
        "deleted_at",
    ]
    list_filter = ["status", "kind", "category", "format", "key", "scale", "is_favorite"]
    search_fields = ["name", "original_filename", "source_path", "sha256", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["sha256", "file_size", "created_at", "updated_at", "analyzed_at"]
    date_hierarchy = "created_at"
    inlines = [SampleTagInline]


@admin.register(AudioFeatures)
class AudioFeaturesAdmin(admin.ModelAdmin):
    list_display = [
        "sample",
        "tempo_bpm",
        "tempo_confidence",
        "key",
        "scale",
        "key_confidence",
        "category",
        "category_confidence",
        "loudness_lufs",
    ]
    list_filter = ["kind", "category", "scale"]
    search_fields = ["sample__name"]
    list_select_related = ["sample"]
    raw_id_fields = ["sample"]
    exclude = ["feature_vector"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "owner", "created_at"]
    list_filter = ["category"]
    search_fields = ["name", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]


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


class BatchItemInline(admin.TabularInline):
    model = BatchItem
    extra = 0
    fields = ["path", "status", "error", "sample"]
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "owner",
        "source",
        "status",
        "processed_files",
        "total_files",
        "imported_count",
        "duplicate_count",
        "failed_count",
        "created_at",
    ]
    list_filter = ["status", "source"]
    search_fields = ["name", "source_url", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    date_hierarchy = "created_at"
    inlines = [BatchItemInline]


@admin.register(BatchItem)
class BatchItemAdmin(admin.ModelAdmin):
    list_display = ["path", "batch", "status", "error"]
    list_filter = ["status"]
    search_fields = ["path", "error"]
    list_select_related = ["batch"]
    raw_id_fields = ["batch", "sample"]


@admin.register(DuplicateScan)
class DuplicateScanAdmin(admin.ModelAdmin):
    """Scans are made by the duplicates page and written by their task: read-only here."""

    list_display = ["owner", "status", "samples_compared", "checked_pairs", "candidate_pairs",
                    "created_at", "finished_at"]  # fmt: skip
    list_filter = ["status"]
    list_select_related = ["owner"]
    readonly_fields = [field.name for field in DuplicateScan._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(UserPreference)
class UserPreferenceAdmin(admin.ModelAdmin):
    """The single preferences row: edited in place, never added or deleted."""

    fieldsets = [
        ("Analysis", {"fields": ["auto_extract_features"]}),
        (
            "Vibe analysis",
            {
                "fields": [
                    "vibe_model",
                    "batch_model",
                    "auto_vibe_single",
                    "auto_vibe_batch",
                    "max_cost_per_request",
                    "monthly_budget",
                ]
            },
        ),
        (
            "Exports",
            {
                "fields": [
                    "default_export_format",
                    "default_export_organisation",
                ]
            },
        ),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        preferences = UserPreference.load()
        return redirect(reverse("admin:library_userpreference_change", args=[preferences.pk]))


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
class ApiUsageAdmin(admin.ModelAdmin):
    """Read-only cost review with totals for whatever range the filters select."""

    change_list_template = "admin/library/apiusage/change_list.html"
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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

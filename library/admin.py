"""Admin for the library: samples, their features and tags, duplicate scans."""

from django.contrib import admin

from library.models import AudioFeatures, DuplicateScan, Sample, SampleTag, Tag


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

"""Admin for imports: batches and what became of each file."""

from django.contrib import admin

from core.admin import ReadOnlyTabularInline
from imports.models import Batch, BatchItem


class BatchItemInline(ReadOnlyTabularInline):
    model = BatchItem
    fields = ["path", "status", "error", "sample"]


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

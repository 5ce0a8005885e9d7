from django.contrib import admin

from core.admin import ReadOnlyTabularInline
from exports.models import Export, ExportItem


class ExportItemInline(ReadOnlyTabularInline):
    model = ExportItem
    fields = ["output_name", "bank", "pad_number", "status", "error", "size"]


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "owner",
        "source",
        "format",
        "sample_rate",
        "bit_depth",
        "organisation",
        "destination",
        "status",
        "file_count",
        "total_size",
        "created_at",
    ]
    list_filter = ["status", "format", "destination", "project", "organisation", "source"]
    search_fields = ["name", "output_path", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner", "kit"]
    date_hierarchy = "created_at"
    inlines = [ExportItemInline]


@admin.register(ExportItem)
class ExportItemAdmin(admin.ModelAdmin):
    list_display = ["output_name", "export", "status", "size", "error"]
    list_filter = ["status"]
    search_fields = ["output_name", "error"]
    list_select_related = ["export"]
    raw_id_fields = ["export", "sample"]

"""Admin for the site's preferences (one row, edited in place), and pieces the apps' admins share."""

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse

from core.models import BackupRecord, IntegrityReport, SitePreferences


class ReadOnlyTabularInline(admin.TabularInline):
    """Rows a job wrote about its work, shown beside it and never edited by hand."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SitePreferences)
class SitePreferencesAdmin(admin.ModelAdmin):
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
        preferences = SitePreferences.load()
        return redirect(reverse("admin:core_sitepreferences_change", args=[preferences.pk]))


class RecordAdmin(admin.ModelAdmin):
    """Records the app keeps of what happened: read, never edited or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BackupRecord)
class BackupRecordAdmin(RecordAdmin):
    """Backups the site made, and whether each verified."""

    list_display = ["started_at", "finished_at", "verified", "files", "files_copied", "folder"]
    list_filter = ["verified"]
    date_hierarchy = "started_at"


@admin.register(IntegrityReport)
class IntegrityReportAdmin(RecordAdmin):
    """What each run of the integrity checks found."""

    list_display = ["finished_at", "problems"]
    fields = ["finished_at", "problems", "report"]

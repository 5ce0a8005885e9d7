from django.contrib import admin

from kits.models import Kit, KitPad, KitPadRemoval


class KitPadInline(admin.TabularInline):
    model = KitPad
    extra = 0
    raw_id_fields = ["sample"]


@admin.register(Kit)
class KitAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "is_shared", "tempo_bpm", "key", "scale", "updated_at"]
    list_filter = ["is_shared", "key", "scale"]
    search_fields = ["name", "description", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    inlines = [KitPadInline]


@admin.register(KitPad)
class KitPadAdmin(admin.ModelAdmin):
    list_display = [
        "kit",
        "bank",
        "pad_number",
        "sample",
        "volume",
        "pitch",
        "gate",
        "loop",
        "reverse",
        "chop_marks",
    ]
    list_filter = ["bank", "gate", "loop", "reverse", "chop_marks"]
    search_fields = ["kit__name", "sample__name"]
    list_select_related = ["kit", "sample"]
    raw_id_fields = ["kit", "sample"]


@admin.register(KitPadRemoval)
class KitPadRemovalAdmin(admin.ModelAdmin):
    list_display = ["sample_name", "kit", "bank", "pad_number", "removed_at"]
    list_filter = ["bank"]
    search_fields = ["sample_name", "kit__name"]
    list_select_related = ["kit"]
    raw_id_fields = ["kit"]

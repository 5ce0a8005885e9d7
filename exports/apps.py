from django.apps import AppConfig


class ExportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exports"
    verbose_name = "Exports"

    def ready(self):
        from exports import library  # noqa: F401 - adds "Export" to the library's bulk actions

from django.apps import AppConfig


class ExportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exports"
    verbose_name = "Exports"

    def ready(self):
        # Adds "Export" to the library's bulk actions, and the exports' integrity check.
        from exports import integrity, library  # noqa: F401

from django.apps import AppConfig


class KitsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kits"
    verbose_name = "Kits"

    def ready(self):
        from kits import library  # noqa: F401 - adds "Add to kit" and pad clearing to the library

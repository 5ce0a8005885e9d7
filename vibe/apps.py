from django.apps import AppConfig


class VibeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "vibe"
    verbose_name = "Vibe analysis"

    def ready(self):
        # Describes arrivals (a signal receiver) and adds "Describe vibe" to the library.
        from vibe import library, tasks  # noqa: F401

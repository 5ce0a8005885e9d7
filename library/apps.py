from django.apps import AppConfig


class LibraryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "library"
    verbose_name = "Library"

    def ready(self):
        from django_q.signals import post_spawn

        from library import integrity, signals  # noqa: F401 - receivers and integrity checks
        from library.tasks import prepare_worker

        post_spawn.connect(prepare_worker, dispatch_uid="library.tasks.prepare_worker")

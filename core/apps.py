import logging

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Site"

    def ready(self):
        # Workers note each task's start and end for `serve`'s stuck-cluster check,
        # and keep its routine heartbeats out of the log.
        from django_q.signals import post_execute_in_worker, pre_execute

        from core.heartbeat import QuietHeartbeats, record_task_finished, record_task_started
        from core.statistics import refresh_after_migrate

        pre_execute.connect(record_task_started, dispatch_uid="core.heartbeat.started")
        post_execute_in_worker.connect(record_task_finished, dispatch_uid="core.heartbeat.finished")
        logging.getLogger("django-q").addFilter(QuietHeartbeats())
        # Once per migrate (core's own signal), after every app's tables exist.
        post_migrate.connect(refresh_after_migrate, sender=self, dispatch_uid="core.statistics")

"""Background exports, run by the django-q2 cluster."""

from django.db import transaction
from django_q.tasks import async_task

from exports.models import Export
from exports.runner import run


def queue_export(export: Export) -> None:
    transaction.on_commit(lambda: async_task("exports.tasks.run_export", export.pk, group="export"))


def run_export(export_id: int) -> str:
    """Run or resume an export; a repeated delivery of a finished one does nothing."""
    export = Export.objects.filter(pk=export_id).select_related("kit").first()
    if export is None or export.is_finished:
        return "skipped"
    return run(export).status

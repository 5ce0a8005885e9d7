"""Background exports, run by the django-q2 cluster."""

from exports.models import Export
from exports.runner import run


def run_export(export_id: int) -> str:
    """Run or resume an export; a repeated delivery of a finished one does nothing."""
    export = Export.objects.filter(pk=export_id).select_related("kit").first()
    if export is None or export.is_finished:
        return "skipped"
    return run(export).status

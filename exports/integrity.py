"""The exports' integrity check: a finished ZIP the page offers must still be on disk."""

from pathlib import Path

from core.integrity import Problem, register
from exports.models import Export


@register("export files")
def zips_that_are_gone() -> list[Problem]:
    problems = []
    for export in Export.objects.filter(status=Export.Status.COMPLETED).exclude(output_path=""):
        if export.destination == Export.Destination.ZIP and not Path(export.output_path).is_file():
            message = f"Export {export.pk} ({export.name}) offers a ZIP that is gone; it can be made again."
            problems.append(Problem("export files", message, forget_zip(export)))
    return problems


def forget_zip(export: Export):
    def repair() -> None:
        Export.objects.filter(pk=export.pk).update(output_path="")

    return repair

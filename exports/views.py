"""Export pages: choose what and how, watch it run, download it."""

from pathlib import Path

from django.contrib import messages
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.models import SitePreferences
from core.polling import page_or_progress
from exports.forms import ExportForm
from exports.models import Export, files
from exports.planning import ExportRefused, entries_for_kit
from kits.models import Kit
from library.filters import LibraryFilterForm
from library.forms import posted_ids
from library.models import Sample


@require_safe
def index(request):
    """The user's export history."""
    exports = Export.objects.owned_by(request.user).select_related("kit")[:100]
    kits = Kit.objects.owned_by(request.user).only("pk", "name")
    return TemplateResponse(request, "exports/index.html", {"exports": exports, "kits": kits})


def chosen_source(request, params):
    """What the export is of: a kit, picked samples, or a library filter's result."""
    if params.get("kit"):
        kit = get_object_or_404(
            Kit.objects.owned_by(request.user), pk__in=posted_ids([params["kit"]])
        )
        return {"source": Export.Source.KIT, "kit": kit, "label": f"Kit “{kit.name}”"}
    samples = Sample.objects.owned_by(request.user).alive()
    if params.get("samples"):
        ids = posted_ids(params["samples"].split(","))
        picked = samples.filter(pk__in=ids)
        return {
            "source": Export.Source.SELECTION,
            "samples": picked,
            "label": f"{picked.count()} selected samples",
        }
    form = LibraryFilterForm(QueryDict(params.get("filter", "")))
    result = form.filter(samples)
    return {
        "source": Export.Source.FILTER,
        "samples": result,
        "label": f"{result.count()} samples from the library",
    }


def initial_values(source) -> dict:
    preferences = SitePreferences.load()
    kit = source.get("kit")
    organisation = preferences.default_export_organisation
    if organisation == "kit" and not kit:
        organisation = "flat"
    return {
        "name": kit.name if kit else "Samples",
        "format": preferences.default_export_format,
        "organisation": organisation,
        "uppercase": False,
    }


@require_http_methods(["GET", "HEAD", "POST"])
def new(request):
    """The export form, offering the preferences' defaults."""
    params = request.POST if request.method == "POST" else request.GET
    source = chosen_source(request, params)
    kit = source.get("kit")
    used_banks = "".join(kit.pads.values_list("bank", flat=True).distinct()) if kit else None
    form = ExportForm(request.POST or None, initial=initial_values(source), used_banks=used_banks)
    if request.method == "POST" and form.is_valid():
        try:
            export = start(request.user, form, source)
        except ExportRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            return redirect("exports:export_detail", pk=export.pk)
    context = {"form": form, "source": source, "params": params}
    return TemplateResponse(request, "exports/new.html", context)


def start(owner, form: ExportForm, source) -> Export:
    # The folder field is left out when folder exports are off.
    fields = {
        name: form.cleaned_data[name]
        for name in ExportForm.Meta.fields
        if name in form.cleaned_data
    }
    kit = source.get("kit")
    fields["project"] = bool(kit and fields.get("project"))
    banks = "".join(form.cleaned_data["banks"]) if kit else ""
    if kit:
        entries = entries_for_kit(kit, banks)
    else:
        entries = [(sample, "", None) for sample in source["samples"].order_by("name", "pk")]
    return Export.objects.start(
        owner, entries=entries, source=source["source"], kit=kit, banks=banks, **fields
    )


@require_safe
def export_detail(request, pk):
    """Progress, per-file results and the download; the progress part polls itself."""
    export = get_object_or_404(Export.objects.owned_by(request.user).select_related("kit"), pk=pk)
    context = {"export": export, "items": export.items.select_related("sample")}
    return page_or_progress(
        request, "exports/export_detail.html", "progress", "export-progress", context,
        export.has_stopped,
    )  # fmt: skip


@require_safe
def download(request, pk):
    """Stream the finished ZIP from disk."""
    export = get_object_or_404(Export.objects.owned_by(request.user), pk=pk)
    path = Path(export.output_path) if export.download_ready else None
    if path is None or not path.exists():
        raise Http404("This export has no ZIP to download (it may have expired).")
    return FileResponse(open(path, "rb"), as_attachment=True, filename=export.download_name)


@require_POST
def cancel(request, pk):
    export = get_object_or_404(Export.objects.owned_by(request.user), pk=pk)
    if export.status == Export.Status.PENDING:
        export.cancel()
        messages.info(request, "Cancelled before it started.")
    elif not export.is_finished:
        export.cancel()
        messages.info(request, "The export stops after the file it is writing.")
    return redirect("exports:export_detail", pk=export.pk)


@require_POST
def retry(request, pk):
    """Resume a cancelled export and retry its failed files."""
    export = get_object_or_404(Export.objects.owned_by(request.user), pk=pk)
    count = export.retry()
    if count:
        messages.info(request, f"Resumed: {files(count)} to export.")
    else:
        messages.warning(request, "There is nothing left to export here.")
    return redirect("exports:export_detail", pk=export.pk)

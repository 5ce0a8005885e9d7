"""Import pages: browser uploads, links, and the batch pages that follow them."""

from pathlib import Path

from django.contrib import messages
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.http import require_POST, require_safe
from django_q.tasks import async_task

from core.polling import page_or_progress
from imports.forms import (
    UploadFileForm,
    UploadStartForm,
    UrlImportForm,
    batch_name,
    first_error,
)
from imports.importing import (
    ImportRejected,
    check_free_space,
)
from imports.models import Batch, BatchItem
from imports.sources import import_one, scratch_dir
from library.listing import rows_in_order


def saved_upload(upload, folder: Path) -> Path:
    """The uploaded file's path on disk, copying it there if Django kept it in memory."""
    if hasattr(upload, "temporary_file_path"):
        return Path(upload.temporary_file_path())
    target = folder / "upload"
    with open(target, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return target


def import_upload(batch: Batch, upload, display_path: str) -> list[BatchItem]:
    """Import one uploaded file (or archive) into the batch; returns the new items."""
    with scratch_dir() as folder:
        return import_one(batch, saved_upload(upload, folder), display_path)


@require_POST
def upload(request):
    """Plain form upload (works without JavaScript): import every file, then show the batch."""
    files = request.FILES.getlist("files")
    if not files:
        messages.error(request, "Choose one or more audio files or ZIP archives to import.")
        return redirect("library:index")
    try:
        check_free_space(sum(upload.size for upload in files))
    except ImportRejected as rejection:
        messages.error(request, str(rejection))
        return redirect("library:index")
    name = batch_name(
        files[0].name if len(files) == 1 else f"{files[0].name} and {len(files) - 1} more"
    )
    batch = Batch.objects.start(
        request.user, source=Batch.Source.UPLOAD, name=name, total_files=len(files)
    )
    for upload_file in files:
        import_upload(batch, upload_file, upload_file.name)
    batch.finish()
    return redirect("imports:batch_detail", pk=batch.pk)


@require_POST
def upload_start(request):
    """Open a batch for files the browser is about to send one at a time."""
    form = UploadStartForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": first_error(form)}, status=400)
    try:
        check_free_space(form.cleaned_data["total_bytes"])
    except ImportRejected as rejection:
        return JsonResponse({"error": str(rejection)}, status=400)
    batch = Batch.objects.start(
        request.user,
        source=Batch.Source.UPLOAD,
        name=form.cleaned_data["name"],
        total_files=form.cleaned_data["file_count"],
    )
    return JsonResponse({"batch": batch.pk, "batch_url": batch_url(batch)})


def batch_url(batch: Batch) -> str:
    return reverse("imports:batch_detail", args=[batch.pk])


@require_POST
def upload_file(request, pk):
    """Import one file of a browser upload; answers with its result and the new rows."""
    batch = get_object_or_404(Batch.objects.owned_by(request.user), pk=pk)
    upload = request.FILES.get("file")
    if upload is None or batch.is_finished:
        return JsonResponse({"error": "This upload is closed or had no file."}, status=400)
    form = UploadFileForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": first_error(form)}, status=400)
    if batch.processed_files >= batch.total_files:
        Batch.objects.filter(pk=batch.pk).update(total_files=batch.processed_files + 1)
    display_path = form.cleaned_data["path"] or upload.name
    items = import_upload(batch, upload, display_path)
    # Each file's analysis starts as soon as it is stored, so its row fills in.
    batch.flush_analysis()
    imported = [item.sample_id for item in items if item.status == BatchItem.Status.IMPORTED]
    return JsonResponse(
        {
            "items": [
                {
                    "path": item.path,
                    "status": item.status,
                    "label": item.get_status_display(),
                    "message": item.error,
                }
                for item in items
            ],
            "rows": render_to_string(
                "library/index.html#sample-rows",
                {"samples": rows_in_order(imported)},
                request=request,
            ),
        }
    )


@require_POST
def upload_finish(request, pk):
    batch = get_object_or_404(Batch.objects.owned_by(request.user), pk=pk)
    if not batch.is_finished:
        batch = batch.finish()
    return JsonResponse(
        {
            "status": batch.status,
            "imported": batch.imported_count,
            "duplicates": batch.duplicate_count,
            "restored": batch.restored_count,
            "failed": batch.failed_count,
            "batch_url": batch_url(batch),
        }
    )


@require_POST
def import_link(request):
    """Queue the download of a link (an audio file or a ZIP) as a batch."""
    form = UrlImportForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("url", []):
            messages.error(request, error)
        return redirect("library:index")
    url = form.cleaned_data["url"]
    with transaction.atomic():
        batch = Batch.objects.start(
            request.user,
            source=Batch.Source.URL,
            name=Truncator(url).chars(120),
            total_files=1,
            source_url=url,
        )
        transaction.on_commit(lambda: async_task("imports.tasks.import_url_task", batch.pk))
    return redirect("imports:batch_detail", pk=batch.pk)


@require_safe
def batch_list(request):
    batches = Batch.objects.owned_by(request.user)[:100]
    return TemplateResponse(request, "imports/batch_list.html", {"batches": batches})


@require_safe
def batch_detail(request, pk):
    """A batch's progress and per-file results; the progress part polls itself."""
    batch = get_object_or_404(Batch.objects.owned_by(request.user), pk=pk)
    items = batch.items.select_related("sample")
    context = {"batch": batch, "items": items}
    return page_or_progress(
        request, "imports/batch_detail.html", "progress", "batch-progress", context,
        batch.is_finished,
    )  # fmt: skip

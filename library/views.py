"""Library pages: the sample list, a sample, imports."""

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from library.models import Sample

PAGE_SIZE = 50


@require_safe
def index(request):
    """The user's samples, newest first."""
    samples = (
        Sample.objects.owned_by(request.user)
        .alive()
        .select_related("features")
        .prefetch_related("tags")
    )
    page = Paginator(samples, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "samples": page.object_list,
        "upload_limit_mb": settings.UPLOAD_MAX_FILE_MB,
    }
    return TemplateResponse(request, "library/index.html", context)


@require_safe
def sample_detail(request, pk):
    sample = get_object_or_404(
        Sample.objects.owned_by(request.user).select_related("features", "vibe"), pk=pk
    )
    return TemplateResponse(request, "library/sample_detail.html", {"sample": sample})


@require_safe
def sample_row(request, pk):
    """One row of the sample list; rows still being analysed poll this."""
    sample = get_object_or_404(
        Sample.objects.owned_by(request.user).select_related("features").prefetch_related("tags"),
        pk=pk,
    )
    return TemplateResponse(request, "library/index.html#sample-rows", {"samples": [sample]})

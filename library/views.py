"""Library pages: the sample list, a sample, imports."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from library.models import Batch, Sample

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
    return TemplateResponse(request, "library/index.html", {"page": page})


@require_safe
def sample_detail(request, pk):
    sample = get_object_or_404(
        Sample.objects.owned_by(request.user).select_related("features", "vibe"), pk=pk
    )
    return TemplateResponse(request, "library/sample_detail.html", {"sample": sample})


@require_safe
def batch_list(request):
    batches = Batch.objects.owned_by(request.user)[:100]
    return TemplateResponse(request, "library/batch_list.html", {"batches": batches})


@require_safe
def batch_detail(request, pk):
    batch = get_object_or_404(Batch.objects.owned_by(request.user), pk=pk)
    items = batch.items.select_related("sample")
    return TemplateResponse(request, "library/batch_detail.html", {"batch": batch, "items": items})

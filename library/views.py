"""Library pages: the filtered sample list and a sample's page."""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import push_url

from core.polling import page_or_progress
from library import bulk
from library.filters import genre_names
from library.listing import (
    filtered_samples,
    given_params,
    list_rows,
    query_without_page,
    rows_in_order,
    sample_page,
)
from library.models import DuplicateScan, Sample, Tag
from library.tasks import queue_duplicate_scan


@require_safe
def index(request):
    """The library: filters, results and the importer; filters swap only the results."""
    form, samples = filtered_samples(request)
    page = sample_page(form, samples, request.GET.get("page"))
    params = given_params(request.GET)
    context = {
        "params": params,
        "form": form,
        "page": page,
        "samples": page.object_list,
        "query": query_without_page(params),
        "filtered": any(key not in {"page", "sort"} for key in params),
        "upload_limit_mb": settings.UPLOAD_MAX_FILE_MB,
        "tag_names": Tag.objects.filter(owner=request.user).values_list("name", flat=True),
        "bulk_actions": bulk.offered(),
        "slices_of": slices_of(request, form),
    }
    template = "library/index.html"
    if request.htmx.target == "results":
        template += "#results"
    else:
        context["genre_names"] = genre_names(request.user)
    response = TemplateResponse(request, template, context)
    if request.htmx.target == "results":
        # The address bar shows the filters that are set, not every empty field;
        # and only a new address makes a history entry (a space typed in the
        # search changes the field, not the list).
        current = urlsplit(request.htmx.current_url_abs_path or "")
        unchanged = (
            current.path == request.path and given_params(QueryDict(current.query)) == params
        )
        address = f"{request.path}?{params.urlencode()}" if params else request.path
        response = push_url(response, False if unchanged else address)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def slices_of(request, form):
    """The loop whose slices the list is narrowed to, if any."""
    loop = form.cleaned_data.get("loop") if hasattr(form, "cleaned_data") else None
    return (
        Sample.objects.owned_by(request.user).filter(pk=loop).only("name").first() if loop else None
    )


@require_safe
def sample_row(request, pk):
    """One row of the sample list; rows still being analysed poll this."""
    rows = list_rows(Sample.objects.owned_by(request.user).filter(pk=pk))
    if not rows:
        raise Http404("No such sample.")
    return TemplateResponse(request, "library/index.html#sample-rows", {"samples": rows})


@require_safe
def similar(request, pk):
    """The samples that sound most like this one, optionally within the current filters."""
    # Imported here: similarity builds on the analysis engine (0.6 s to import),
    # which only this page and the worker need.
    from library.similarity import similar_samples

    sample = get_object_or_404(Sample.objects.owned_by(request.user), pk=pk)
    form, samples = filtered_samples(request)
    within = samples if form.is_bound else None
    nearest = similar_samples(request.user, sample, limit=30, within_ids=within)
    scores = dict(nearest)
    rows = rows_in_order([sample_id for sample_id, _score in nearest])
    context = {"sample": sample, "samples": rows, "scores": scores, "filtered": form.is_bound}
    return TemplateResponse(request, "library/similar.html", context)


@require_safe
def duplicates(request):
    """The latest duplicate scan: its progress while it runs, then the groups it found."""
    scan = DuplicateScan.objects.owned_by(request.user).first()
    context = {"scan": scan, "groups": duplicate_groups(scan)}
    finished = scan is None or scan.is_finished
    return page_or_progress(
        request, "library/duplicates.html", "scan", "duplicate-scan", context, finished
    )


@require_POST
def scan_duplicates(request):
    """Start comparing the library for duplicates, or join the comparison already running."""
    queue_duplicate_scan(request.user)
    return redirect("library:duplicates")


def duplicate_groups(scan) -> list[tuple[str, list]]:
    """(reason, sample rows) of the scan's groups that still stand."""
    groups = scan.standing_groups() if scan is not None else []
    rows = rows_in_order([sample_id for _reason, ids in groups for sample_id in ids])
    by_id = {sample.pk: sample for sample in rows}
    return [(reason, [by_id[sample_id] for sample_id in ids]) for reason, ids in groups]

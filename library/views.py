"""Library pages: the filtered sample list and a sample's page."""

from collections import defaultdict

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST, require_safe

from core.polling import page_or_progress
from library import bulk
from library.filters import LibraryFilterForm, genre_names
from library.models import DuplicateScan, Sample, SampleTag, Tag
from library.tasks import queue_duplicate_scan

PAGE_SIZE = 50
# What a row of the sample list shows (library/index.html#sample-rows and the
# pages that include it); the bulky columns stay in the database.
ROW_FIELDS = [
    "owner_id", "name", "original_filename", "source_path", "format", "duration",
    "tempo_bpm", "key", "scale", "pitch_midi", "pitch_cents", "kind", "category", "category_confidence",
    "category_set_by_user", "status", "error", "features__waveform_thumbnail",
]  # fmt: skip


def filtered_samples(request):
    """The user's live samples under the request's filters, and the bound form."""
    form = LibraryFilterForm(request.GET or None)
    samples = Sample.objects.owned_by(request.user).alive()
    if form.is_bound:
        samples = form.filter(samples)
    return form, samples


def sample_page(samples, number):
    """One page of samples, with what the list shows loaded for those rows only.

    The ids are found and ordered first; joining the features of every match
    before sorting would read far more than the fifty rows shown.
    """
    page = Paginator(samples.only("pk"), PAGE_SIZE).get_page(number)
    page.object_list = rows_in_order([sample.pk for sample in page.object_list])
    return page


def query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@require_safe
def index(request):
    """The library: filters, results and the importer; filters swap only the results."""
    form, samples = filtered_samples(request)
    page = sample_page(samples, request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "samples": page.object_list,
        "query": query_without_page(request),
        "filtered": any(value for key, value in request.GET.items() if key not in {"page", "sort"}),
        "upload_limit_mb": settings.UPLOAD_MAX_FILE_MB,
        "tag_names": Tag.objects.filter(owner=request.user).values_list("name", flat=True),
        "bulk_actions": bulk.offered(),
    }
    template = "library/index.html"
    if request.htmx.target == "results":
        template += "#results"
    else:
        context["genre_names"] = genre_names(Sample.objects.owned_by(request.user).alive())
    response = TemplateResponse(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@require_safe
def sample_row(request, pk):
    """One row of the sample list; rows still being analysed poll this."""
    rows = list_rows(Sample.objects.owned_by(request.user).filter(pk=pk))
    if not rows:
        raise Http404("No such sample.")
    return TemplateResponse(request, "library/index.html#sample-rows", {"samples": rows})


def list_rows(samples) -> list:
    """The samples as the list draws them: their row fields, thumbnail and `tag_names`.

    Tag names come from one flat query: prefetching tags would build a queryset
    and model instances per sample, which costs more than the page's SQL.
    """
    rows = list(samples.select_related("features").only(*ROW_FIELDS))
    names = defaultdict(list)
    tagged = SampleTag.objects.filter(sample__in=[row.pk for row in rows])
    for sample_id, name in tagged.order_by("tag__name").values_list("sample_id", "tag__name"):
        names[sample_id].append(name)
    for row in rows:
        row.tag_names = names[row.pk]
    return rows


def rows_in_order(ids) -> list:
    """Samples for the list, loaded once and kept in the given order."""
    by_id = {sample.pk: sample for sample in list_rows(Sample.objects.filter(pk__in=list(ids)))}
    return [by_id[pk] for pk in ids if pk in by_id]


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

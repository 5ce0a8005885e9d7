"""The sample list as every page draws it: filtered, paged, and loaded row by row.

The library's list, its similar-samples page, an import's results and a kit's
sample picker all show samples this way.
"""

from collections import defaultdict

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from library.filters import LibraryFilterForm
from library.models import Sample, SampleTag

PAGE_SIZE = 50
COUNT_LIMIT = 10_000
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


class LibraryPaginator(Paginator):
    """Pages that count at most COUNT_LIMIT matches.

    Counting every match of a broad filter reads the whole index range: 10 ms
    for 30,000 loops at 100,000 samples, 100 ms at a million (measured); past
    the limit the page says "10,000+" and counts no further.
    """

    @cached_property
    def count(self) -> int:
        return self.object_list[: COUNT_LIMIT + 1].count()

    @property
    def count_is_limited(self) -> bool:
        return self.count > COUNT_LIMIT


def sample_page(samples, number, best_match_ids=None):
    """One page of samples, with what the list shows loaded for those rows only.

    The ids are found and ordered first; joining the features of every match
    before sorting would read far more than the fifty rows shown. Searches
    sorted best match first read their page with `best_match_ids(offset, limit)`.
    """
    page = LibraryPaginator(samples.only("pk"), PAGE_SIZE).get_page(number)
    if best_match_ids is None:
        ids = [sample.pk for sample in page.object_list]
    else:
        ids = best_match_ids((page.number - 1) * PAGE_SIZE, PAGE_SIZE)
    page.object_list = rows_in_order(ids)
    return page


def query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


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

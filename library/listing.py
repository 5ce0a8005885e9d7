"""The sample list as every page draws it: filtered, paged, and loaded row by row.

The library's list, its similar-samples page, an import's results and a kit's
sample picker all show samples this way.
"""

from collections import defaultdict
from contextlib import nullcontext

from django.core.paginator import Paginator
from django.http import QueryDict
from django.utils.functional import cached_property

from library.filters import LibraryFilterForm
from library.models import Sample, SampleTag
from library.search import found_through_the_index

PAGE_SIZE = 50
# Counting stops here ("10,000+ samples"): a count reads every match, 4 ms for
# 100,000 samples and 40 ms for a million (measured), and more pages than this
# are not read one by one. A search's or a tag's match costs a row lookup more
# (counting 10,000 took 11 ms at 100,000 samples, 1,000 took 1 ms; a tag's
# 10,000 took 26 ms at a million), so they stop sooner.
COUNT_LIMIT = 10_000
LOOKUP_COUNT_LIMIT = 1_000
# What a row of the sample list shows (library/index.html#sample-rows and the
# pages that include it); the bulky columns stay in the database.
ROW_FIELDS = [
    "owner_id", "name", "original_filename", "source_path", "format", "duration",
    "tempo_bpm", "key", "scale", "pitch_midi", "pitch_cents", "kind", "category", "category_confidence",
    "category_set_by_user", "key_set_by_user", "tempo_set_by_user", "status", "error",
    "features__waveform_thumbnail", "features__key_confidence", "features__tempo_confidence",
    "parent_id", "file",  # What a row dragged out of the browser names.
]  # fmt: skip


def filtered_samples(request):
    """The user's live samples under the request's filters, and the bound form."""
    form = LibraryFilterForm(request.GET or None)
    samples = Sample.objects.owned_by(request.user).alive()
    if form.is_bound:
        samples = form.filter(samples)
    return form, samples


class LibraryPaginator(Paginator):
    """Pages that count at most `limit` matches, and say "limit+" beyond.

    `ordered_count` counts in the list's own order: one read from an index
    in that order stops at the limit.
    """

    def __init__(self, object_list, per_page, limit, *, ordered_count=False):
        super().__init__(object_list, per_page)
        self.limit, self.ordered_count = limit, ordered_count

    @cached_property
    def count(self) -> int:
        # Otherwise unordered: any limit+1 rows will do, and sorting them all is the cost.
        counted = self.object_list if self.ordered_count else self.object_list.order_by()
        return counted[: self.limit + 1].count()

    @property
    def count_is_limited(self) -> bool:
        return self.count > self.limit

    def page(self, number):
        page = super().page(number)
        if self.count_is_limited:  # Paginator would end the last page at the count.
            bottom = (page.number - 1) * self.per_page
            page.object_list = self.object_list[bottom : bottom + self.per_page]
        return page


def sample_page(form, samples, number):
    """One page of samples, with what the list shows loaded for those rows only.

    The ids are found and ordered first; joining the features of every match
    before sorting would read far more than the fifty rows shown. A search in
    best-match order reads its page from the index (search.BestMatch).
    """
    searched = form.is_bound and bool(form.cleaned_data.get("q"))
    best_match = form.best_match
    counted = samples if best_match is None else best_match.matches
    # A search's count, and the ranking of its matches when they are few, come
    # through the full-text index (PostgreSQL) in one short transaction.
    counting = found_through_the_index if searched else nullcontext
    looked_up = searched or (form.is_bound and bool(form.cleaned_data.get("tag")))
    limit = LOOKUP_COUNT_LIMIT if looked_up else COUNT_LIMIT
    with counting():
        walked = best_match is not None and best_match.walks_index
        paginator = LibraryPaginator(counted.only("pk"), PAGE_SIZE, limit, ordered_count=walked)
        page = paginator.get_page(number)
        offset = (page.number - 1) * PAGE_SIZE
        few = best_match is not None and not paginator.count_is_limited
        if few:
            ids = best_match.ids(offset, PAGE_SIZE, few=True)
    if best_match is None:
        ids = [sample.pk for sample in page.object_list]
    elif not few:
        ids = best_match.ids(offset, PAGE_SIZE)
    page.object_list = rows_in_order(ids)
    return page


def given_params(query: QueryDict) -> QueryDict:
    """The query's parameters that hold a value, as the address shows them.

    A filter form sends every field, set or not; surrounding spaces change no
    search, and sorting by relevance is what no sort means (best match first,
    newest first without a search).
    """
    params = QueryDict(mutable=True)
    for key, values in query.lists():
        if kept := [value.strip() for value in values if value.strip()]:
            params.setlist(key, kept)
    if params.get("sort") == "relevance":
        del params["sort"]
    return params


def query_without_page(params: QueryDict) -> str:
    params = params.copy()
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

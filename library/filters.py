"""The library's filters: one GET form whose state lives in the URL."""

from collections import defaultdict
from datetime import timedelta

from django import forms
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, F, Func, Q, Value
from django.db.models.functions import Lower
from django.utils import timezone

from library.forms import MAX_ID
from library.models import Sample, SampleTag, Tag
from library.models.samples import CATEGORY_CHOICES, KEY_CHOICES, SCALE_CHOICES
from library.music import compatible_keys
from library.search import BestMatch, search
from library.vocabulary import PITCH_CLASSES

KEYLESS = ExpressionWrapper(Q(key=""), output_field=BooleanField())
# Samples without a value (one-shots have no tempo) sort last either way, on
# both databases (they disagree where NULL goes by default).
SORTS = {
    # Ids grow with every import, so the newest are the highest ids; every
    # per-column index then already holds its rows in this order.
    "newest": [F("id").desc()],
    "name": ["name", "id"],
    "bpm": [F("tempo_bpm").asc(nulls_last=True), "name", "id"],
    "-bpm": [F("tempo_bpm").desc(nulls_last=True), "name", "id"],
    # Keyed samples by key, then one-shots by their note, then the rest.
    "key": [KEYLESS.asc(), "key", "scale", F("pitch_midi").asc(nulls_last=True), "name", "id"],
    "duration": ["duration", "id"],
    "-duration": [F("duration").desc(), "id"],
    "played": [F("last_played_at").desc(nulls_last=True), F("id").desc()],
    "rating": [F("rating").desc(nulls_last=True), F("id").desc()],
}
SORT_CHOICES = [
    ("relevance", "Best match"),
    ("newest", "Newest"),
    ("name", "Name"),
    ("bpm", "BPM, slow first"),
    ("-bpm", "BPM, fast first"),
    ("key", "Key"),
    ("duration", "Shortest"),
    ("-duration", "Longest"),
    ("played", "Recently played"),
    ("rating", "Rating"),
]
RECENT_DAYS = 7
# Best match: more typed words in the name first, then newest (library.search).
RELEVANCE = [F("search_rank").desc(), F("id").desc()]


def blank(choices, label="Any"):
    return [("", label), *choices]


class LibraryFilterForm(forms.Form):
    """Every filter of the library page; all optional."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    genre = forms.CharField(required=False, max_length=64)
    bpm_min = forms.FloatField(required=False, min_value=0, max_value=999, label="BPM from")
    bpm_max = forms.FloatField(required=False, min_value=0, max_value=999, label="to")
    key = forms.ChoiceField(required=False, choices=blank(KEY_CHOICES))
    scale = forms.ChoiceField(required=False, choices=blank(SCALE_CHOICES))
    compatible = forms.BooleanField(required=False, label="Compatible keys")
    note = forms.ChoiceField(required=False, choices=blank(KEY_CHOICES), label="Note")
    kind = forms.ChoiceField(required=False, choices=blank(Sample.Kind.choices), label="Type")
    category = forms.ChoiceField(required=False, choices=blank(CATEGORY_CHOICES))
    tag = forms.CharField(required=False, max_length=64)
    folder = forms.CharField(required=False, max_length=1024)
    slices = forms.ChoiceField(
        required=False,
        choices=[("", "Shown"), ("hide", "Hidden"), ("only", "Only slices")],
        label="Slices of loops",
    )
    loop = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )
    mood = forms.CharField(required=False, max_length=32)
    energy_min = forms.FloatField(required=False, min_value=0, max_value=1)
    energy_max = forms.FloatField(required=False, min_value=0, max_value=1)
    duration_min = forms.FloatField(required=False, min_value=0, label="Length from (s)")
    duration_max = forms.FloatField(required=False, min_value=0, label="to (s)")
    status = forms.ChoiceField(required=False, choices=blank(Sample.Status.choices))
    favorite = forms.BooleanField(required=False, label="Favourites")
    rating_min = forms.IntegerField(required=False, min_value=1, max_value=5, label="Rating")
    recent = forms.ChoiceField(
        required=False,
        choices=blank([("added", "Added this week"), ("played", "Played this week")], "All"),
    )
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES)
    best_match = None

    def filter(self, queryset):
        """The samples matching the valid filters, sorted; invalid fields are ignored.

        When they are sorted best match first, `best_match` reads a page of
        that order from the index (search.BestMatch); otherwise it is None.
        """
        # Invalid fields are left out of cleaned_data, so the rest still apply.
        self.is_valid()
        data = self.cleaned_data
        filtered = self.filter_ranges(self.filter_values(queryset, data), data)
        self.best_match = None
        if not data.get("q"):
            return filtered.order_by(*self.ordering(data))
        if self.ordering(data) is RELEVANCE:
            narrowed = any(data.get(name) not in (None, "", False) for name in NARROWING)
            self.best_match = BestMatch(filtered, data["q"], narrowed=narrowed)
        return search(filtered, data["q"]).order_by(*self.ordering(data))

    @staticmethod
    def filter_values(queryset, data):
        unfiltered = queryset
        exact = {field: data.get(field) for field in ("kind", "category", "status")}
        queryset = queryset.filter(**{field: value for field, value in exact.items() if value})
        if data.get("genre"):
            # "jungle" finds "Jungle": the lower-cased column has its own index.
            queryset = queryset.alias(genre_lower=Lower("genre")).filter(
                genre_lower=Lower(Value(data["genre"].strip()))
            )
        if data.get("key"):
            queryset = queryset.filter(
                key_filter(
                    data["key"], data.get("scale"), data.get("compatible"), tempo_range(data)
                )
            )
        elif data.get("scale"):
            queryset = queryset.filter(scale=data["scale"])
        if data.get("note"):
            queryset = queryset.filter(pitch_midi__in=midi_notes_of(data["note"]))
        if data.get("tag"):
            queryset = queryset.filter(tag_filter(data["tag"]))
        if data.get("folder"):
            queryset = queryset.filter(folder_filter(data["folder"], unfiltered))
        if data.get("loop"):
            queryset = queryset.filter(parent_id=data["loop"])
        if data.get("slices"):
            queryset = queryset.filter(parent__isnull=data["slices"] == "hide")
        if data.get("mood"):
            queryset = queryset.filter(
                Q(vibe__mood_primary__iexact=data["mood"])
                | Q(vibe__mood_secondary__iexact=data["mood"])
            )
        if data.get("favorite"):
            queryset = queryset.filter(is_favorite=True)
        recent = data.get("recent")
        if recent:
            since = timezone.now() - timedelta(days=RECENT_DAYS)
            field = "created_at" if recent == "added" else "last_played_at"
            queryset = queryset.filter(**{f"{field}__gte": since})
        return queryset

    @staticmethod
    def filter_ranges(queryset, data):
        ranges = {
            "duration": ("duration_min", "duration_max"),
            "vibe__energy": ("energy_min", "energy_max"),
        }
        if not (data.get("key") and data.get("scale") and data.get("compatible")):
            queryset = queryset.filter(tempo_range(data))  # key_filter holds it otherwise.
        for field, (low, high) in ranges.items():
            if data.get(low) is not None:
                queryset = queryset.filter(**{f"{field}__gte": data[low]})
            if data.get(high) is not None:
                queryset = queryset.filter(**{f"{field}__lte": data[high]})
        if data.get("rating_min"):
            queryset = queryset.filter(rating__gte=data["rating_min"])
        return queryset

    @staticmethod
    def ordering(data) -> list:
        sort = data.get("sort") or ("relevance" if data.get("q") else "newest")
        if sort == "relevance":
            return RELEVANCE if data.get("q") else SORTS["newest"]
        return SORTS[sort]


# Every filter but the search itself and the order.
NARROWING = [name for name in LibraryFilterForm.base_fields if name not in {"q", "sort"}]


def genre_names(owner) -> list[str]:
    """The genres in use, each once whatever its spelling, in its commonest spelling."""
    spellings = defaultdict(list)
    for genre in genre_spellings(owner):
        spellings[genre.casefold()].append(genre)
    live = Sample.objects.owned_by(owner).alive()
    chosen = [
        # Only spellings that differ in case are counted: counting reads every use.
        max(same, key=lambda genre: live.filter(genre=genre).count()) if len(same) > 1 else same[0]
        for same in spellings.values()
    ]
    return sorted(chosen, key=str.casefold)


def genre_spellings(owner) -> list[str]:
    """Every genre spelling in the owner's live samples, read by seeking through the genre index.

    One index seek per genre: grouping the samples by genre reads them all
    (10 ms at 100,000 samples, measured; a hundred at a million).
    """
    table = Sample._meta.db_table
    step = f"""SELECT MIN(genre) FROM {table}
        WHERE owner_id = %s AND deleted_at IS NULL AND genre > {{after}}"""
    sql = f"""WITH RECURSIVE spelling(genre) AS (
        {step.format(after="''")}
        UNION ALL
        SELECT ({step.format(after="spelling.genre")}) FROM spelling WHERE spelling.genre IS NOT NULL
    ) SELECT genre FROM spelling WHERE genre IS NOT NULL"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [owner.pk, owner.pk])
        return [genre for (genre,) in cursor.fetchall()]


def midi_notes_of(pitch_class: str) -> list[int]:
    """Every MIDI note of a pitch class ("F": F-1, F0 ... F9), for the indexed note column."""
    return list(range(PITCH_CLASSES.index(pitch_class), 128, 12))


def key_filter(key: str, scale: str, compatible: bool, tempo=None) -> Q:
    """Samples in the key, or (compatible) in any key that mixes with it on the Camelot wheel.

    Compatible keys are asked for as their pitch classes and scales, with the
    BPM range (`tempo`) beside them, and the exact pairs then tested on what
    that read: SQLite reads each combination's tempo range from the key index
    alone. A BPM range beside the keys' pitch classes alone made it read every
    sample in the range (240 ms against 27 ms at a million samples), and each
    pair with its own range made it look every match up in the table (17 ms
    against 5 ms for a page, measured).
    """
    if compatible and scale:
        keys = compatible_keys(key, scale)
        pairs = Q(pk__in=[])
        for other_key, other_scale in keys:
            pairs |= Q(key=other_key, scale=other_scale)
        narrowed = Q(
            key__in=sorted({other_key for other_key, _scale in keys}),
            scale__in=sorted({other_scale for _key, other_scale in keys}),
        )
        return narrowed & (tempo or Q()) & pairs
    return Q(key=key, scale=scale) if scale else Q(key=key)


def tempo_range(data) -> Q:
    """The BPM range of the filters (an empty condition when there is none)."""
    condition = Q()
    if data.get("bpm_min") is not None:
        condition &= Q(tempo_bpm__gte=data["bpm_min"])
    if data.get("bpm_max") is not None:
        condition &= Q(tempo_bpm__lte=data["bpm_max"])
    return condition


# A condition matching more samples than this is marked as matching most
# samples (`likely`): the first page then reads about 50 x library / matches
# rows, at most 5,000 at a million samples.
MANY = 10_000


def matches_many(samples, condition: Q) -> bool:
    """Whether the condition matches more than MANY samples: one count through its index, capped (1-2 ms).

    Told on SQLite only, whose planner does not know how many samples a value
    or a range holds: it reads them through their index and then sorts every
    one for the page. At a million samples that took 36 ms for a folder of
    200,000 in the newest order, 600 ms for that folder by name, 190 ms for
    60,000 loops by BPM (measured). PostgreSQL's planner keeps statistics of
    values.
    """
    if connection.vendor != "sqlite":
        return False
    return samples.filter(condition).order_by()[: MANY + 1].count() > MANY


def likely(*comparisons) -> Q:
    """The comparisons (ANDed), each marked as holding for most rows (SQLite's `likelihood`).

    Marked ranges make SQLite walk the index of the list's order, testing each
    sample until the page is full (0.1-0.4 ms in the cases above), where it read
    the range's own index and sorted. A count, which asks for no order, still
    reads that index: each comparison is marked on its own so that it can. (An
    equality is read through its index all the same: SQLite keeps statistics
    of how many samples share a value.)
    """
    return Q(*(Likely(comparison) for comparison in comparisons))


class Likely(Func):
    """likelihood(condition, 0.9)."""

    # SQLite takes the probability only as a constant in the SQL, not as a parameter.
    template = "likelihood(%(expressions)s, 0.9)"
    output_field = BooleanField()

    def __init__(self, condition):
        if isinstance(condition, Q):
            condition = ExpressionWrapper(condition, output_field=BooleanField())
        super().__init__(condition)


def folder_filter(folder: str, samples, *, respelled: bool = False) -> Q:
    """The folder and everything below it, among `samples`.

    A range rather than LIKE: SQLite's LIKE ignores case and so cannot use the
    index; "0" is the character after "/", so the range holds exactly the
    subfolders. A folder of many samples is marked `likely`; one of few
    without subfolders (one index seek tells) is matched exactly, where the
    folder index holds its samples in tempo order. A folder that holds
    nothing as typed is looked for in another case ("drums/kicks").
    """
    folder = folder.strip().strip("/")
    bounds = (Q(source_path__gte=folder), Q(source_path__lt=f"{folder}0"))
    below = Q(source_path__gte=f"{folder}/", source_path__lt=f"{folder}0")
    # The outer range is one index range; the inner test drops siblings such
    # as "Drums 2" that sort inside it.
    within = Q(source_path=folder) | below
    if matches_many(samples, Q(*bounds)):
        return likely(*bounds) & within
    if samples.filter(below).exists():
        return Q(*bounds) & within
    if folder and not respelled and not samples.filter(source_path=folder).exists():
        stored = stored_spelling(folder, samples)
        if stored is not None and stored != folder:
            return folder_filter(stored, samples, respelled=True)
    return Q(source_path=folder)


def stored_spelling(folder: str, samples) -> str | None:
    """The folder as its samples spell it, found ignoring case: this reads every sample of the owner."""
    spelled = Q(source_path__iexact=folder) | Q(source_path__istartswith=f"{folder}/")
    stored = samples.filter(spelled).order_by().values_list("source_path", flat=True).first()
    return stored[: len(folder)] if stored else None


def tag_filter(name: str) -> Q:
    """Samples carrying the tag, found through the tag rather than by scanning samples."""
    tagged = SampleTag.objects.filter(tag__in=Tag.objects.named(name)).values("sample_id")
    return Q(pk__in=tagged)

"""Samples, their measured features and their tags."""

import math
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from core.models import OwnedQuerySet
from core.sp404mk2 import MAX_TEMPO_BPM, MIN_TEMPO_BPM, in_tempo_range
from library.music import signed
from library.search import document
from library.vocabulary import AUDIO_FORMATS, CATEGORY_LABELS, PITCH_CLASSES, SCALES, note_name
from library.waveforms import thumbnail_path

KEY_CHOICES = [(pitch, pitch) for pitch in PITCH_CLASSES]
SCALE_CHOICES = [(scale, scale.capitalize()) for scale in SCALES]
CATEGORY_CHOICES = list(CATEGORY_LABELS.items())
FORMAT_CHOICES = [(fmt, fmt.upper()) for fmt in AUDIO_FORMATS]

# What a form says when a value breaks a constraint (never the constraint's name).
TEMPO_RANGE = f"A tempo is between {MIN_TEMPO_BPM} and {MAX_TEMPO_BPM} BPM, or empty."
KEY_AND_SCALE_TOGETHER = "Choose both a key and major or minor, or neither."
# Below this category confidence the label is shown as a guess. The classifier
# is calibrated so that labels at 0.8 or above are right at least 90% of the
# time on its held-out sounds; under it, one in several is wrong.
CONFIDENT_CATEGORY = 0.8
# The same for keys: on held-out tonal loops, keys at 0.8 or above were right
# 96.1% of the time, those between 0.6 and 0.8 three times in four.
CONFIDENT_KEY = 0.8
# Tempos of loops other than drum loops: of 1,996 rendered tonal loops, those at
# 0.5 or above were right (within 4%) 97.3% of the time, those under it 72.7%
# (read at double or half their tempo, which the sample page's halve and double
# buttons mend).  Drum loops' tempos held under 0.5 too (97.0% of 203), so a
# drum loop's tempo is never marked as a guess.
CONFIDENT_TEMPO = 0.5


def is_guess(value, set_by_user: bool, confidence: float | None, trusted_from: float) -> bool:
    """Whether a value came from the analysis with too little confidence to trust."""
    return bool(value and not set_by_user and confidence is not None and confidence < trusted_from)


def guess_note(confidence: float | None) -> str:
    """ "Guessed from the sound, 62% sure"."""
    # Rounded down, so that a guess never reads as the confident 80%.
    return f"Guessed from the sound, {math.floor((confidence or 0) * 100)}% sure"


def in_choices_or_blank(field: str, choices) -> Q:
    """A check that a text column holds one of its choices or nothing."""
    return Q(**{f"{field}__in": [value for value, _label in choices]}) | Q(**{field: ""})


def null_or_between(field: str, low, high) -> Q:
    """A check that a number column is empty or within [low, high]."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": low, f"{field}__lte": high})


SEARCHED_FIELDS = {
    "name", "original_filename", "source_path", "description", "category", "kind", "genre",
}  # fmt: skip


def live_indexes(*column_sets):
    """Per-owner indexes over samples not in the trash, one per filtered column set.

    Partial indexes match every library query (which always excludes the trash),
    stay smaller, and let SQLite count and page without touching the table.
    """
    return [
        models.Index(
            fields=["owner", *columns],
            condition=Q(deleted_at__isnull=True),
            name="sample_live_"
            + "_".join(column.strip("-") for column in columns)[:18].rstrip("_"),
        )
        for columns in column_sets
    ]


class SampleQuerySet(OwnedQuerySet):
    def alive(self):
        """Samples not in the trash."""
        return self.filter(deleted_at__isnull=True)

    def trashed(self):
        return self.filter(deleted_at__isnull=False)

    def purgeable(self, days: int = 30):
        """Samples that have been in the trash longer than `days`."""
        return self.filter(deleted_at__lt=timezone.now() - timedelta(days=days))

    def playable_by(self, user):
        """Samples the user may listen to: their own, and those on kits shared with them."""
        return self.filter(Q(owner=user) | Q(kit_pads__kit__is_shared=True)).distinct()

    def ready(self):
        return self.filter(status=Sample.Status.READY)

    def analysed_before(self, version: int):
        """Samples whose stored features an older analysis made, or that have none."""
        # No index on analysis_version: only `manage.py analyze --outdated` asks,
        # rarely, and a scan of the features table is quick next to re-analysis.
        return self.filter(Q(features__isnull=True) | Q(features__analysis_version__lt=version))

    def apply_analyses(self, results: dict) -> list["Sample"]:
        """Store what the analysis measured for these samples (results by sample id), in one
        transaction; values the user set by hand stay as they are. Returns the samples saved:
        those of the ids that are still there."""
        if not results:
            return []
        features = {sample_id: features_from(result) for sample_id, result in results.items()}
        with transaction.atomic():
            # "self": on PostgreSQL, the nullable side of the join with vibe cannot be locked.
            samples = list(
                self.filter(pk__in=results).select_related("vibe").select_for_update(of=("self",))
            )
            tag_names = {sample.pk: [] for sample in samples}
            links = SampleTag.objects.filter(sample__in=samples).values_list("sample", "tag__name")
            for sample_id, name in links:
                tag_names[sample_id].append(name)
            fields = ["search_text"]
            for sample in samples:
                fields += sample.take_analysis(results[sample.pk])
                sample.search_text = sample.build_search_text(tag_names[sample.pk])
            AudioFeatures.objects.bulk_create(
                [AudioFeatures(sample=sample, **features[sample.pk]) for sample in samples],
                update_conflicts=True,
                unique_fields=["sample"],
                update_fields=list(next(iter(features.values()))),
            )
            # An UPDATE a sample: Django's bulk_update() took 47 ms to build its CASE
            # expressions for 16 samples, about as long as analysing them.
            for sample in samples:
                values = {field: getattr(sample, field) for field in dict.fromkeys(fields)}
                Sample.objects.filter(pk=sample.pk).update(**values)
        return samples

    # Bulk operations: one transaction each, sample by sample so that every
    # sample's search document follows; each returns how many samples it changed.

    def add_tag(self, name: str) -> int:
        """Tag the samples; returns how many had not had the tag."""
        if not Tag.clean_name(name):
            return 0
        with transaction.atomic():
            selected = list(self)

            def tagged() -> int:  # Asked again after: a new tag's name finds it only then.
                named = Tag.objects.named(name)
                return SampleTag.objects.filter(sample__in=selected, tag__in=named).count()

            before = tagged()
            for sample in selected:
                sample.add_tag(name)
            return tagged() - before

    def remove_tag(self, name: str) -> int:
        """Take the tag off the samples; returns how many had it."""
        if not Tag.clean_name(name):
            return 0
        with transaction.atomic():
            named = Tag.objects.named(name)
            links = list(SampleTag.objects.filter(sample__in=list(self), tag__in=named))
            for link in links:
                link.delete()
        return len(links)

    def set_genre(self, genre: str) -> int:
        with transaction.atomic():
            selected = list(self)
            for sample in selected:
                sample.save(update_fields=sample.set_by_user(genre=" ".join(genre.split())[:64]))
        return len(selected)

    def move_to_trash(self) -> int:
        with transaction.atomic():
            selected = list(self)
            for sample in selected:
                sample.move_to_trash()
        return len(selected)


class SampleStatus(models.TextChoices):
    PENDING = "pending", "Waiting for analysis"
    ANALYZING = "analyzing", "Analysing"
    READY = "ready", "Ready"
    FAILED = "failed", "Analysis failed"


class SampleKind(models.TextChoices):
    LOOP = "loop", "Loop"
    ONE_SHOT = "one-shot", "One-shot"


STATUS_LABELS = dict(SampleStatus.choices)
KIND_LABELS = dict(SampleKind.choices)


class Sample(models.Model):
    """One audio file in a user's library."""

    Status = SampleStatus

    Kind = SampleKind

    # Fields whose value the user may correct by hand, each with the flag that
    # marks the value as the user's so that re-analysis leaves it alone.
    USER_FIELDS = {
        "tempo_bpm": "tempo_set_by_user",
        "key": "key_set_by_user",
        "scale": "key_set_by_user",
        "category": "category_set_by_user",
        "kind": "kind_set_by_user",
        "genre": "genre_set_by_user",
    }

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="samples"
    )
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)

    file = models.FileField(max_length=255, help_text="Content-addressed path in the data dir.")
    original_filename = models.CharField(max_length=255)
    source_path = models.CharField(
        max_length=1024, blank=True, help_text="Folder the file came from, e.g. Drums/Kicks."
    )
    sha256 = models.CharField(max_length=64)
    file_size = models.PositiveBigIntegerField()
    format = models.CharField(max_length=8, choices=FORMAT_CHOICES)
    duration = models.FloatField(help_text="Seconds.")
    sample_rate = models.PositiveIntegerField()
    channels = models.PositiveSmallIntegerField()
    bit_depth = models.PositiveSmallIntegerField(null=True, blank=True)

    genre = models.CharField(max_length=64, blank=True)
    tempo_bpm = models.FloatField(null=True, blank=True)
    key = models.CharField(max_length=2, choices=KEY_CHOICES, blank=True)
    scale = models.CharField(max_length=5, choices=SCALE_CHOICES, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, blank=True)
    category = models.CharField(max_length=16, choices=CATEGORY_CHOICES, blank=True)
    category_confidence = models.FloatField(null=True, blank=True)
    pitch_midi = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The note of a pitched one-shot, as a MIDI number."
    )
    pitch_cents = models.SmallIntegerField(
        null=True, blank=True, help_text="How far the note sits off equal temperament."
    )

    tempo_set_by_user = models.BooleanField(default=False)
    key_set_by_user = models.BooleanField(default=False)
    category_set_by_user = models.BooleanField(default=False)
    kind_set_by_user = models.BooleanField(default=False)
    genre_set_by_user = models.BooleanField(default=False)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    analyzed_at = models.DateTimeField(null=True, blank=True)

    is_favorite = models.BooleanField(default=False)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="In the trash since.")

    tags = models.ManyToManyField("Tag", through="SampleTag", related_name="samples", blank=True)
    last_played_at = models.DateTimeField(null=True, blank=True)
    preview = models.FileField(
        max_length=255, blank=True, help_text="Browser-playable copy, when the original is not."
    )
    search_text = models.TextField(blank=True, editable=False, help_text="What search matches.")

    # A slice is a range of its loop's frames: it shares the loop's stored file
    # (and so its sha256), and its audio is read from there, never copied.
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="slices",
        db_index=False,  # The slices index below starts with it.
        help_text="The loop this slice is cut from.",
    )
    start_frame = models.PositiveIntegerField(
        null=True, blank=True, help_text="A slice's first frame in its loop's file."
    )
    end_frame = models.PositiveIntegerField(
        null=True, blank=True, help_text="The frame after a slice's last one."
    )

    objects = SampleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Stored files only: a loop's slices share its file and its hash.
            models.UniqueConstraint(
                fields=["owner", "sha256"],
                condition=Q(parent__isnull=True),
                name="sample_unique_content",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True, start_frame__isnull=True, end_frame__isnull=True)
                | Q(parent__isnull=False, start_frame__gte=0, end_frame__gt=F("start_frame")),
                name="sample_slice_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SampleStatus.values),
                name="sample_status_valid",
            ),
            models.CheckConstraint(
                condition=in_choices_or_blank("kind", SampleKind.choices), name="sample_kind_valid"
            ),
            models.CheckConstraint(
                condition=in_choices_or_blank("category", CATEGORY_CHOICES),
                name="sample_category_valid",
            ),
            models.CheckConstraint(
                condition=in_choices_or_blank("format", FORMAT_CHOICES),
                name="sample_format_valid",
            ),
            models.CheckConstraint(
                condition=(Q(key="", scale="") | (Q(key__in=PITCH_CLASSES) & Q(scale__in=SCALES))),
                name="sample_key_and_scale_together",
                violation_error_message=KEY_AND_SCALE_TOGETHER,
            ),
            models.CheckConstraint(
                condition=null_or_between("tempo_bpm", MIN_TEMPO_BPM, MAX_TEMPO_BPM),
                name="sample_tempo_range",
                violation_error_message=TEMPO_RANGE,
            ),
            models.CheckConstraint(
                condition=null_or_between("rating", 1, 5),
                name="sample_rating_range",
                violation_error_message="A rating is 1 to 5 stars.",
            ),
            models.CheckConstraint(
                condition=null_or_between("category_confidence", 0, 1),
                name="sample_category_confidence_range",
            ),
            models.CheckConstraint(
                condition=null_or_between("pitch_midi", 0, 127), name="sample_pitch_midi_range"
            ),
            models.CheckConstraint(
                condition=Q(pitch_midi__isnull=True, pitch_cents__isnull=True)
                # A check passes when it is unknown (NULL), so each side says "not null".
                | Q(pitch_midi__isnull=False, pitch_cents__isnull=False)
                & Q(pitch_cents__gte=-50, pitch_cents__lte=50),
                name="sample_pitch_cents_with_note",
            ),
            models.CheckConstraint(condition=Q(duration__gte=0), name="sample_duration_positive"),
            models.CheckConstraint(condition=Q(sample_rate__gt=0), name="sample_rate_positive"),
            models.CheckConstraint(condition=Q(channels__gt=0), name="sample_channels_positive"),
            models.CheckConstraint(condition=~Q(sha256=""), name="sample_sha256_present"),
        ]
        indexes = [
            # The list's default and name orders, tie-breaker included, over live
            # samples only: SQLite then walks the index instead of sorting.
            models.Index(
                fields=["owner", "-id"],
                condition=Q(deleted_at__isnull=True),
                name="sample_live_newest",
            ),
            models.Index(
                fields=["owner", "name", "id"],
                condition=Q(deleted_at__isnull=True),
                name="sample_live_by_name",
            ),
            models.Index(fields=["genre", "tempo_bpm"], name="sample_genre_tempo"),
            # Filters often come with a BPM range: with the tempo in the same index,
            # the range is checked there instead of in each row, which at a
            # million samples took 110-250 ms a query (measured).
            *live_indexes(
                ("kind", "-id"),
                ("kind", "tempo_bpm"),
                # The type is tested in the index: a type with a category counted
                # 10,000 kicks in 22 ms at a million samples, each looked up (measured).
                ("category", "-id", "kind"),
                ("category", "name", "id"),  # A category by name without sorting it.
                ("tempo_bpm",),
                ("key", "scale", "tempo_bpm"),
                ("pitch_midi",),
                ("status",),
                ("duration",),
                ("genre",),  # The genres offered in the filter, grouped from the index alone.
                ("source_path", "tempo_bpm"),
                ("created_at",),
                # Also the "sort by rating" order on SQLite; PostgreSQL has its own
                # index for that (migration 0021: NULLS LAST cannot be declared here).
                ("rating",),
                ("-last_played_at",),
            ),
            # The genre filter ignores case.
            models.Index(
                F("owner"),
                Lower("genre"),
                F("tempo_bpm"),
                condition=Q(deleted_at__isnull=True),
                name="sample_live_genre_lower_tempo",
            ),
            # A genre in the list's newest order: SQLite read a genre of 100,000
            # samples and sorted it: 20 ms of a 50 ms page at a million (measured).
            models.Index(
                F("owner"),
                Lower("genre"),
                F("id").desc(),
                condition=Q(deleted_at__isnull=True),
                name="sample_live_genre_lower_newest",
            ),
            # Favourites are few: their own index answers the filter and its count
            # (its condition matches the filter's SQL, so SQLite can use it).
            models.Index(
                fields=["owner", "-id"],
                condition=Q(deleted_at__isnull=True, is_favorite=True),
                name="sample_live_favorites",
            ),
            # The user's corrections, which every analysis of a new sample looks at.
            models.Index(
                fields=["owner", "kind"],
                condition=Q(deleted_at__isnull=True, category_set_by_user=True),
                name="sample_live_corrected",
            ),
            # The trash lists its own samples, newest first.
            models.Index(
                fields=["owner", "-deleted_at"],
                condition=Q(deleted_at__isnull=False),
                name="sample_trash",
            ),
            models.Index(fields=["sha256"], name="sample_sha256"),
            # A loop's slices in order, for its page and its chop editor.
            models.Index(
                fields=["parent", "start_frame"],
                condition=Q(parent__isnull=False),
                name="sample_slices",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or SEARCHED_FIELDS & set(update_fields):
            self.search_text = self.build_search_text()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def build_search_text(self, tag_names: list[str] | None = None) -> str:
        if tag_names is None:
            tag_names = list(self.tags.values_list("name", flat=True)) if self.pk else []
        return document(self, tag_names)

    def refresh_search_text(self) -> None:
        """Re-index after a change the sample row itself does not show (its tags)."""
        Sample.objects.filter(pk=self.pk).update(search_text=self.build_search_text())

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None

    @property
    def pitch_name(self) -> str:
        """ "A1", or "" without a note."""
        return "" if self.pitch_midi is None else note_name(self.pitch_midi)

    @property
    def pitch_label(self) -> str:
        """ "A1"; "A1 +12¢" when 5 cents or more off; "" without a note."""
        cents = self.pitch_cents or 0
        return f"{self.pitch_name} {signed(cents)}¢" if abs(cents) >= 5 else self.pitch_name

    @property
    def pitch_cents_note(self) -> str:
        """ "in tune", "12 cents sharp", "30 cents flat"."""
        cents = self.pitch_cents or 0
        if abs(cents) < 5:
            return "in tune"
        return f"{abs(cents)} cents {'sharp' if cents > 0 else 'flat'}"

    @property
    def key_label(self) -> str:
        """ "F# minor", or "" when no key is known."""
        return f"{self.key} {self.scale}" if self.key else ""

    def _measured(self, field: str) -> float | None:
        """One of the analysis's confidences, or None without features."""
        features = getattr(self, "features", None)  # None when the sample was never analysed
        return getattr(features, field) if features is not None else None

    @property
    def key_confidence(self) -> float | None:
        return self._measured("key_confidence")

    @property
    def key_is_guess(self) -> bool:
        return is_guess(self.key, self.key_set_by_user, self.key_confidence, CONFIDENT_KEY)

    @property
    def key_guess_note(self) -> str:
        return guess_note(self.key_confidence)

    @property
    def tempo_confidence(self) -> float | None:
        return self._measured("tempo_confidence")

    @property
    def tempo_is_guess(self) -> bool:
        return self.category != "drum_loop" and is_guess(
            self.tempo_bpm, self.tempo_set_by_user, self.tempo_confidence, CONFIDENT_TEMPO
        )

    @property
    def tempo_guess_note(self) -> str:
        return f"{guess_note(self.tempo_confidence)}; it may be half or double"

    # The list shows these on every row; get_FOO_display() rebuilds its lookup
    # table on each call, and floatformat goes through Decimal.
    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS.get(self.category, "")

    @property
    def category_is_guess(self) -> bool:
        return is_guess(
            self.category, self.category_set_by_user, self.category_confidence, CONFIDENT_CATEGORY
        )

    @property
    def category_guess_note(self) -> str:
        return guess_note(self.category_confidence)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, "")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def duration_label(self) -> str:
        """ "1.25 s"."""
        return f"{self.duration:.2f} s"

    @property
    def tempo_label(self) -> str:
        """ "92.5", or "" when no tempo is known."""
        return f"{self.tempo_bpm:.1f}" if self.tempo_bpm is not None else ""

    def set_by_user(self, **values) -> list[str]:
        """Apply hand-made corrections and mark them as the user's; returns changed fields."""
        changed = []
        for field, value in values.items():
            flag = self.USER_FIELDS[field]
            setattr(self, field, value)
            setattr(self, flag, True)
            changed += [field, flag]
        return list(dict.fromkeys(changed))

    def take_analysis(self, result) -> list[str]:
        """Take what the analysis measured, without saving; values the user set by hand stay
        as they are. Returns the fields to save."""
        bpm = result.bpm if result.bpm and in_tempo_range(result.bpm) else None
        measured = {
            "tempo_bpm": round(bpm, 2) if bpm else None,
            "key": (result.key or "") if result.scale else "",
            "scale": (result.scale or "") if result.key else "",
            "category": result.category,
            "kind": result.kind,
        }
        for field, value in measured.items():
            if not getattr(self, self.USER_FIELDS[field]):
                setattr(self, field, value)
        self.pitch_midi, self.pitch_cents = result.pitch_midi, result.pitch_cents
        if not self.category_set_by_user:
            self.category_confidence = clamp_unit(result.category_confidence)
        self.duration = result.duration
        self.status = Sample.Status.READY
        self.error = ""
        self.analyzed_at = self.updated_at = timezone.now()
        return [*measured, "pitch_midi", "pitch_cents", "category_confidence", "duration",
                "status", "error", "analyzed_at", "updated_at"]  # fmt: skip

    def add_tag(self, name: str, source: str = "user") -> "Tag":
        """Put a tag on the sample, creating the user's tag on first use (case-insensitively)."""
        name = Tag.clean_name(name)
        tag = Tag.objects.filter(owner_id=self.owner_id).named(name).first()
        if tag is None:
            tag = Tag.objects.create(owner_id=self.owner_id, name=name)
        SampleTag.objects.get_or_create(sample=self, tag=tag, defaults={"source": source})
        return tag

    def remove_tag(self, tag) -> None:
        for link in SampleTag.objects.filter(sample=self, tag=tag):
            link.delete()

    @property
    def playable_name(self) -> str:
        """The stored file a browser can play: the preview when there is one."""
        return self.preview.name or self.file.name

    def adopted_by(self, user) -> "Sample":
        """The user's own sample with this audio: theirs if they have it, else a copy of the row.

        The copy points at the same content-addressed file, so no audio is
        duplicated (purging deletes a file only when no sample of anyone refers
        to it). The owner's personal state (favourite, rating, plays) stays theirs.
        A slice comes with the user's own copy of its loop, and is a slice of that.
        """
        if self.owner_id == user.pk:
            return self
        loop = None
        if self.parent_id is not None:
            loop = self.parent.adopted_by(user)
            mine = loop.slices.filter(start_frame=self.start_frame, end_frame=self.end_frame)
        else:
            mine = Sample.objects.filter(owner=user, sha256=self.sha256, parent=None)
        existing = mine.first()
        if existing is not None:
            if existing.in_trash:
                existing.restore()
            return existing
        personal = {"id", "owner", "parent", "created_at", "updated_at", "deleted_at",
                    "last_played_at", "is_favorite", "rating", "search_text"}  # fmt: skip
        copy = Sample.objects.create(owner=user, parent=loop, **values_of(self, skip=personal))
        features = getattr(self, "features", None)  # None when the sample was never analysed
        if features is not None:
            AudioFeatures.objects.create(
                sample=copy, **values_of(features, skip={"sample", "created_at"})
            )
        return copy

    def move_to_trash(self) -> None:
        self.deleted_at = timezone.now()
        self.save(update_fields=["deleted_at", "updated_at"])

    def restore(self) -> None:
        self.deleted_at = None
        self.save(update_fields=["deleted_at", "updated_at"])


def values_of(row, *, skip) -> dict:
    """A row's column values by attribute name, without the fields named in ``skip``."""
    return {
        field.attname: getattr(row, field.attname)
        for field in row._meta.concrete_fields
        if field.name not in skip
    }


def clamp_unit(value):
    """Keep a confidence inside 0..1 (None stays None)."""
    return None if value is None else min(max(float(value), 0.0), 1.0)


def features_from(result) -> dict:
    """AudioFeatures column values from an analysis result."""
    # Imported here: the analysis engine (librosa, numba) costs 0.6 s to import,
    # which every web process would pay at start for this one number.
    from library.analysis import ANALYSIS_VERSION

    return {
        "analysis_version": ANALYSIS_VERSION,
        "tempo_bpm": result.bpm,
        "tempo_confidence": clamp_unit(result.bpm_confidence),
        "onset_rate": result.onset_rate,
        "key": (result.key or "") if result.scale else "",
        "scale": (result.scale or "") if result.key else "",
        "key_confidence": clamp_unit(result.key_confidence),
        "kind": result.kind,
        "kind_confidence": clamp_unit(result.kind_confidence),
        "category": result.category,
        "category_confidence": clamp_unit(result.category_confidence),
        "spectral_centroid": result.spectral_centroid,
        "spectral_rolloff": result.spectral_rolloff,
        "spectral_bandwidth": result.spectral_bandwidth,
        "spectral_flatness": result.spectral_flatness,
        "zero_crossing_rate": result.zero_crossing_rate,
        "rms": result.rms,
        "peak": result.peak,
        "loudness_lufs": result.loudness_lufs,
        "harmonic_ratio": clamp_unit(result.harmonic_ratio),
        "mfcc": [round(float(value), 4) for value in result.mfcc],
        "feature_vector": np.asarray(result.feature_vector, dtype=np.float32).tobytes(),
        "waveform_peaks": result.waveform_peaks,
        "waveform_thumbnail": thumbnail_path(result.waveform_peaks),
        "onset_times": result.onset_times,
    }


class AudioFeatures(models.Model):
    """What the analysis measured for one sample."""

    sample = models.OneToOneField(
        Sample, on_delete=models.CASCADE, primary_key=True, related_name="features"
    )
    tempo_bpm = models.FloatField(null=True, blank=True)
    tempo_confidence = models.FloatField(null=True, blank=True)
    onset_rate = models.FloatField(help_text="Onsets per second.")
    key = models.CharField(max_length=2, choices=KEY_CHOICES, blank=True)
    scale = models.CharField(max_length=5, choices=SCALE_CHOICES, blank=True)
    key_confidence = models.FloatField(null=True, blank=True)
    kind = models.CharField(max_length=8, choices=Sample.Kind.choices)
    kind_confidence = models.FloatField()
    category = models.CharField(max_length=16, choices=CATEGORY_CHOICES)
    category_confidence = models.FloatField()

    spectral_centroid = models.FloatField(help_text="Hz")
    spectral_rolloff = models.FloatField(help_text="Hz")
    spectral_bandwidth = models.FloatField(help_text="Hz")
    spectral_flatness = models.FloatField()
    zero_crossing_rate = models.FloatField()
    rms = models.FloatField(help_text="Linear, full scale = 1.")
    peak = models.FloatField(help_text="Linear, full scale = 1.")
    loudness_lufs = models.FloatField(null=True, blank=True)
    harmonic_ratio = models.FloatField(help_text="Harmonic share of the energy, 0..1.")
    mfcc = models.JSONField(default=list, help_text="13 MFCC means.")
    feature_vector = models.BinaryField(help_text="float32 vector for similarity search.")
    waveform_peaks = models.JSONField(default=list, help_text="[min, max] pairs for drawing.")
    waveform_thumbnail = models.TextField(blank=True, help_text="SVG path for the list.")
    onset_times = models.JSONField(
        default=list, blank=True, help_text="[seconds, strength 0..1] of each attack, for chopping."
    )
    analysis_version = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "audio features"
        constraints = [
            models.CheckConstraint(
                condition=null_or_between("tempo_confidence", 0, 1),
                name="features_tempo_confidence_range",
            ),
            models.CheckConstraint(
                condition=null_or_between("key_confidence", 0, 1),
                name="features_key_confidence_range",
            ),
            models.CheckConstraint(
                condition=Q(kind_confidence__gte=0, kind_confidence__lte=1),
                name="features_kind_confidence_range",
            ),
            models.CheckConstraint(
                condition=Q(category_confidence__gte=0, category_confidence__lte=1),
                name="features_category_confidence_range",
            ),
            models.CheckConstraint(
                condition=Q(harmonic_ratio__gte=0, harmonic_ratio__lte=1),
                name="features_harmonic_ratio_range",
            ),
        ]

    def __str__(self):
        return f"Features of {self.sample}"


class TagCategory(models.TextChoices):
    GENERAL = "general", "General"
    GENRE = "genre", "Genre"
    MOOD = "mood", "Mood"
    INSTRUMENT = "instrument", "Instrument"
    TEXTURE = "texture", "Texture"


class TagQuerySet(models.QuerySet):
    def named(self, name: str) -> "TagQuerySet":
        """The tags called ``name``, ignoring case in any alphabet.

        SQLite's LIKE and LOWER fold A-Z only, so "Über" would miss "über" there;
        a name beyond ASCII is compared in Python, over the tags this queryset holds.
        """
        if name.isascii():
            return self.filter(name__iexact=name)
        folded = name.casefold()
        same = [pk for pk, other in self.values_list("pk", "name") if other.casefold() == folded]
        return self.filter(pk__in=same)


class Tag(models.Model):
    """A label a user puts on samples; names are unique per user, ignoring case."""

    Category = TagCategory

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tags"
    )
    name = models.CharField(max_length=64)
    category = models.CharField(max_length=12, choices=Category.choices, default=Category.GENERAL)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("owner", Lower("name"), name="tag_unique_name_per_owner"),
            models.CheckConstraint(condition=~Q(name=""), name="tag_name_present"),
            models.CheckConstraint(
                condition=Q(category__in=TagCategory.values),
                name="tag_category_valid",
            ),
        ]
        indexes = [models.Index(fields=["owner", "category"], name="tag_owner_category")]

    def __str__(self):
        return self.name

    @staticmethod
    def clean_name(name: str) -> str:
        """A tag name as it is kept: single spaces, at most 64 characters."""
        return " ".join(name.split())[:64]

    def rename(self, name: str) -> "Tag":
        """Rename the tag; onto another of the owner's tags' names, merge into that one.

        Returns the tag that carries the name afterwards.
        """
        name = Tag.clean_name(name)
        others = Tag.objects.filter(owner_id=self.owner_id).named(name).exclude(pk=self.pk)
        existing = others.first()
        if existing is not None:
            self.merge_into(existing)
            return existing
        self.name = name
        self.save()
        return self

    def merge_into(self, target: "Tag") -> None:
        """Move every sample of this tag to ``target``, then delete this one, in one transaction."""
        with transaction.atomic():
            for link in SampleTag.objects.filter(tag=self).select_related("sample"):
                if not SampleTag.objects.filter(sample=link.sample, tag=target).exists():
                    SampleTag.objects.create(sample=link.sample, tag=target, source=link.source)
                link.delete()
            self.delete()

    def remove(self) -> None:
        """Take the tag off every sample (each one's search document follows), then delete it."""
        with transaction.atomic():
            for link in SampleTag.objects.filter(tag=self):
                link.delete()
            self.delete()


class SampleTagSource(models.TextChoices):
    USER = "user", "User"
    VIBE = "vibe", "Vibe analysis"
    IMPORT = "import", "Import"


class SampleTag(models.Model):
    """A tag on a sample, remembering who put it there."""

    Source = SampleTagSource

    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="sample_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="sample_tags")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.USER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sample", "tag"], name="sample_tag_unique"),
            models.CheckConstraint(
                condition=Q(source__in=SampleTagSource.values),
                name="sample_tag_source_valid",
            ),
        ]
        # (sample, tag) is covered by the unique constraint; tag lookups need their own.
        indexes = [models.Index(fields=["tag", "sample"], name="sample_tag_by_tag")]

    def __str__(self):
        return f"{self.tag} on {self.sample}"

"""Kits: samples placed on the SP-404MK2's banks A-J of sixteen pads."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from core.models import OwnedQuerySet
from core.sp404mk2 import (
    BANKS,
    MAX_PAD_VOLUME,
    MAX_TEMPO_BPM,
    MIN_TEMPO_BPM,
    PAD_PITCH_RANGE,
    PADS_PER_BANK,
    is_pad,
)
from kits import rules
from library.models.samples import (
    KEY_AND_SCALE_TOGETHER,
    KEY_CHOICES,
    SCALE_CHOICES,
    TEMPO_RANGE,
    null_or_between,
)
from library.music import scale_pitch_classes

NAME_LENGTH = 100
MAX_CHOP_MARKS = 16  # per pad in an SP-404MK2 project
PAD_OPTIONS = ("volume", "pitch", "gate", "loop", "reverse", "chop_marks")
PAD_CONTENT = ("sample_id", *PAD_OPTIONS)
WRITE_ATTEMPTS = 3
OWNERS_SAMPLES_ONLY = "Only samples from the kit owner's library can go on its pads."


class KitQuerySet(OwnedQuerySet):
    def visible_to(self, user):
        """The user's own kits and those other users shared read-only."""
        return self.filter(Q(owner=user) | Q(is_shared=True))

    def free_name(self, name: str) -> str:
        """'Name', or 'Name (copy)', 'Name (copy 2)' ... whichever no kit here has yet."""
        taken = set(self.values_list("name", flat=True))
        candidate, number = name, 1
        while candidate in taken:
            suffix = " (copy)" if number == 1 else f" (copy {number})"
            candidate = name[: NAME_LENGTH - len(suffix)] + suffix
            number += 1
        return candidate


class Kit(models.Model):
    """A set of pad assignments for one SP-404MK2 project."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kits"
    )
    name = models.CharField(max_length=NAME_LENGTH)
    description = models.TextField(blank=True)
    is_shared = models.BooleanField(default=False, help_text="Readable by the app's other users.")
    tempo_bpm = models.FloatField(null=True, blank=True)
    key = models.CharField(max_length=2, choices=KEY_CHOICES, blank=True)
    scale = models.CharField(max_length=5, choices=SCALE_CHOICES, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = KitQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"],
                name="kit_unique_name_per_owner",
                violation_error_message="You already have a kit with this name.",
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="kit_name_present",
                violation_error_message="Give the kit a name.",
            ),
            models.CheckConstraint(
                condition=null_or_between("tempo_bpm", MIN_TEMPO_BPM, MAX_TEMPO_BPM),
                name="kit_tempo_range",
                violation_error_message=TEMPO_RANGE,
            ),
            models.CheckConstraint(
                condition=Q(key="", scale="") | (~Q(key="") & ~Q(scale="")),
                name="kit_key_and_scale_together",
                violation_error_message=KEY_AND_SCALE_TOGETHER,
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-updated_at"], name="kit_owner_updated"),
            models.Index(fields=["is_shared"], name="kit_shared"),
        ]

    def __str__(self):
        return self.name

    def check_slot(self, bank: str, pad_number: int) -> None:
        if not is_pad(bank, int(pad_number)):
            raise ValidationError(f"There is no pad {bank}{pad_number}.")

    def assign(self, bank: str, pad_number: int, sample, **options) -> "KitPad":
        """Put a sample of the kit's owner on a pad; the last write wins when two race."""
        self.check_slot(bank, pad_number)
        if sample.owner_id != self.owner_id or sample.deleted_at is not None:
            raise ValidationError(OWNERS_SAMPLES_ONLY)
        # Marks belong to the loop they were set for, not to whatever replaces it.
        defaults = {"sample": sample, "chop_marks": False, **options}

        def write():
            pad, _created = KitPad.objects.update_or_create(
                kit=self, bank=bank, pad_number=pad_number, defaults=defaults
            )
            self.removals.filter(bank=bank, pad_number=pad_number).delete()
            return pad

        # Another request may create the pad between our read and insert: the
        # second time round the row exists, so it is an update.
        return self._write_racing(write, IntegrityError)

    def fill_bank(self, bank: str, chosen: dict) -> list["KitPad"]:
        """Put the chosen samples on a bank's empty pads ({pad number: (sample, pitch)}), all
        or none. A pad filled since the choice was offered (another tab, the form sent
        twice) keeps its sample."""
        with transaction.atomic():
            Kit.objects.select_for_update().filter(pk=self.pk).first()
            taken = set(self.pads.filter(bank=bank).values_list("pad_number", flat=True))
            return [
                self.assign(bank, number, sample, pitch=pitch)
                for number, (sample, pitch) in chosen.items()
                if number not in taken
            ]

    def send_slices(self, bank: str, slices) -> list["KitPad"]:
        """Put a loop's slices on a bank's pads 1, 2, ... in the order given, all or none.

        A pad keeps its settings (volume, pitch...) when a slice replaces what it
        held. Written in a few statements for the whole bank: pad by pad,
        sixteen slices took 168 queries.
        """
        slices = list(slices)
        if len(slices) > PADS_PER_BANK:
            raise ValidationError(
                f"A bank has {PADS_PER_BANK} pads; {len(slices)} slices do not fit. "
                "Chop into fewer, or send them in two banks."
            )
        self.check_slot(bank, 1)
        if any(row.owner_id != self.owner_id or row.deleted_at is not None for row in slices):
            raise ValidationError(OWNERS_SAMPLES_ONLY)

        def write():
            slots = self.pads.filter(bank=bank, pad_number__lte=len(slices))
            held = {pad.pad_number: pad for pad in slots.select_for_update()}
            now = timezone.now()
            pads = []
            for number, row in enumerate(slices, start=1):
                pad = held.get(number) or KitPad(kit=self, bank=bank, pad_number=number)
                pad.sample, pad.chop_marks, pad.updated_at = row, False, now
                pads.append(pad)
            KitPad.objects.bulk_update(
                [pad for pad in pads if pad.pk], ["sample", "chop_marks", "updated_at"]
            )
            KitPad.objects.bulk_create([pad for pad in pads if not pad.pk])
            self.removals.filter(bank=bank, pad_number__lte=len(slices)).delete()
            return pads

        # A pad another request creates meanwhile makes the insert fail: read again.
        return self._write_racing(write, IntegrityError)

    def mark_slices(self, bank: str, pad_number: int, loop) -> "KitPad":
        """Put a chopped loop whole on one pad, its slices kept as chop marks for projects."""
        count = loop.slices.alive().count()
        if not count:
            raise ValidationError(f"“{loop.name}” has no slices to mark: chop it first.")
        if count > MAX_CHOP_MARKS:
            raise ValidationError(
                f"A pad holds {MAX_CHOP_MARKS} chop marks; “{loop.name}” has {count} slices. "
                "Chop into fewer."
            )
        return self.assign(bank, pad_number, loop, chop_marks=True)

    def move_pad(self, from_bank, from_pad, to_bank, to_pad) -> list["KitPad"]:
        """Move a pad's sample and options to another pad, swapping if that one is taken."""
        self.check_slot(from_bank, from_pad)
        self.check_slot(to_bank, to_pad)
        if (from_bank, int(from_pad)) == (to_bank, int(to_pad)):
            return []
        # Another request may take the target or remove the source between our
        # read and write (IntegrityError, or an update of a row that is gone):
        # read again and redo the move.
        return self._write_racing(
            lambda: self._move_or_swap(from_bank, from_pad, to_bank, to_pad), DatabaseError
        )

    def _write_racing(self, write, lost_race: type[Exception]):
        """Run ``write`` and touch the kit in one transaction, again when a concurrent
        request made it fail with ``lost_race`` (at most WRITE_ATTEMPTS times)."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with transaction.atomic():
                    result = write()
                    self.touch()
                return result
            except lost_race:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _move_or_swap(self, from_bank, from_pad, to_bank, to_pad) -> list["KitPad"]:
        pads = self.pads.select_for_update()
        source = pads.filter(bank=from_bank, pad_number=from_pad).first()
        if source is None:
            return []
        target = pads.filter(bank=to_bank, pad_number=to_pad).first()
        if target is None:
            source.bank, source.pad_number = to_bank, to_pad
            source.save(update_fields=["bank", "pad_number", "updated_at"])
            return [source]
        # Swap contents rather than positions: the unique (kit, bank, pad) index
        # would refuse two rows passing through the same slot.
        for field in PAD_CONTENT:
            first, second = getattr(source, field), getattr(target, field)
            setattr(source, field, second)
            setattr(target, field, first)
        source.save()
        target.save()
        return [target, source]

    def add_samples(self, samples) -> tuple[list["KitPad"], list]:
        """Put samples on empty pads that suit them, skipping any already on the kit.

        Each sample takes the first empty pad (bank A first) whose role it is
        made for (a kick pad 13, a loop pads 1-4: see rules.PAD_ROLES), else one
        whose role accepts it, else the first empty pad from A1.

        Returns (the new pads, the samples left over when the kit is full).
        Concurrent additions to one kit take turns on the kit's row.
        """
        with transaction.atomic():
            Kit.objects.select_for_update().filter(pk=self.pk).first()
            taken = set(self.pads.values_list("bank", "pad_number"))
            present = set(self.pads.values_list("sample_id", flat=True))
            free = [(bank, number) for bank in BANKS for number in range(1, PADS_PER_BANK + 1)
                    if (bank, number) not in taken]  # fmt: skip
            wanted = {}
            for sample in samples:
                if sample.owner_id != self.owner_id or sample.deleted_at is not None:
                    raise ValidationError(OWNERS_SAMPLES_ONLY)
                if sample.pk not in present:
                    wanted.setdefault(sample.pk, sample)
            chosen = list(wanted.values())
            pads = KitPad.objects.bulk_create(
                KitPad(kit=self, bank=bank, pad_number=number, sample=sample)
                for (bank, number), sample in rules.placements(chosen, free)
            )
            if pads:
                filled = Q(pk__in=[])
                for pad in pads:
                    filled |= Q(bank=pad.bank, pad_number=pad.pad_number)
                self.removals.filter(filled).delete()
                self.touch()
        return pads, chosen[len(pads) :]

    def clear_pad(self, bank: str, pad_number: int) -> bool:
        """Empty a pad; True if it held a sample."""
        self.check_slot(bank, pad_number)
        deleted, _ = self.pads.filter(bank=bank, pad_number=pad_number).delete()
        self.touch()
        return bool(deleted)

    def touch(self) -> None:
        """Mark the kit as changed without saving (and racing on) its other fields."""
        self.updated_at = timezone.now()
        Kit.objects.filter(pk=self.pk).update(updated_at=self.updated_at)

    def loops(self):
        return self.pads.filter(
            Q(sample__kind="loop") | Q(sample__category__in=rules.LOOP_CATEGORIES)
        )

    def proposal(self) -> tuple[float | None, str, str]:
        """Tempo and key proposed from the kit's loops (median tempo, most common key), where
        they differ from the kit's own: a kit at its loops' tempo is offered none, nor one
        in the relative key of its loops' (the same notes; the kit's root is the user's choice)."""
        values = list(self.loops().values_list("sample__tempo_bpm", "sample__key", "sample__scale"))
        tempo = rules.propose_tempo(bpm for bpm, _key, _scale in values)
        key, scale = rules.propose_key((key, scale) for _bpm, key, scale in values)
        if tempo and self.tempo_bpm and abs(float(self.tempo_bpm) - tempo) < 0.05:
            tempo = None
        same_notes = (
            key
            and self.key
            and self.scale
            and (scale_pitch_classes(key, scale) == scale_pitch_classes(self.key, self.scale))
        )
        if same_notes:
            key, scale = "", ""
        return tempo, key, scale

    def adopt_proposal(self) -> bool:
        """Set the kit's tempo and key from its loops where they say something; True if changed."""
        tempo, key, scale = self.proposal()
        changed = []
        if tempo:
            self.tempo_bpm = tempo
            changed.append("tempo_bpm")
        if key:
            self.key, self.scale = key, scale
            changed += ["key", "scale"]
        if changed:
            self.save(update_fields=[*changed, "updated_at"])
        return bool(changed)

    def copy_for(self, user) -> "Kit":
        """A copy of the kit owned by `user`, with the same pads.

        Another user's samples are adopted into `user`'s library (sharing the
        audio file), never linked: a kit only holds its owner's samples.
        """
        pads = list(self.pads.select_related("sample", "sample__features"))
        with transaction.atomic():
            copy = Kit.objects.create(
                owner=user,
                name=Kit.objects.owned_by(user).free_name(self.name),
                description=self.description,
                tempo_bpm=self.tempo_bpm,
                key=self.key,
                scale=self.scale,
            )
            samples = {}
            for pad in pads:
                if pad.sample_id not in samples:
                    samples[pad.sample_id] = pad.sample.adopted_by(user)
            copies = [
                KitPad(kit=copy, sample=samples[pad.sample_id],
                       **{field: getattr(pad, field) for field in ("bank", "pad_number", *PAD_OPTIONS)})
                for pad in pads
            ]  # fmt: skip
            for pad in copies:
                # An adopted loop comes without its slices, so without marks to set.
                pad.chop_marks = pad.chop_marks and pad.sample.owner_id == self.owner_id
            KitPad.objects.bulk_create(copies)
        return copy


class KitPad(models.Model):
    """One sample on one pad of a kit, with the settings the unit applies to it."""

    class Bank(models.TextChoices):
        A = "A"
        B = "B"
        C = "C"
        D = "D"
        E = "E"
        F = "F"
        G = "G"
        H = "H"
        I = "I"  # noqa: E741 - the unit's bank letters
        J = "J"

    kit = models.ForeignKey(Kit, on_delete=models.CASCADE, related_name="pads")
    bank = models.CharField(max_length=1, choices=Bank.choices)
    pad_number = models.PositiveSmallIntegerField()
    # A sample on a pad cannot vanish silently: it goes to the trash first, and
    # purging clears its pads explicitly.
    sample = models.ForeignKey("library.Sample", on_delete=models.RESTRICT, related_name="kit_pads")
    volume = models.PositiveSmallIntegerField(default=MAX_PAD_VOLUME)
    pitch = models.SmallIntegerField(default=0, help_text="Semitones.")
    gate = models.BooleanField(default=False)
    loop = models.BooleanField(default=False)
    reverse = models.BooleanField(default=False)
    chop_marks = models.BooleanField(
        default=False,
        help_text="A chopped loop on one pad: a project export marks its slices on the pad.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["bank", "pad_number"]
        constraints = [
            models.UniqueConstraint(fields=["kit", "bank", "pad_number"], name="kit_pad_unique"),
            models.CheckConstraint(condition=Q(bank__in=list(BANKS)), name="kit_pad_bank_valid"),
            models.CheckConstraint(
                condition=Q(pad_number__gte=1, pad_number__lte=PADS_PER_BANK),
                name="kit_pad_number_range",
            ),
            models.CheckConstraint(
                condition=Q(volume__gte=0, volume__lte=MAX_PAD_VOLUME), name="kit_pad_volume_range"
            ),
            models.CheckConstraint(
                condition=Q(pitch__gte=-PAD_PITCH_RANGE, pitch__lte=PAD_PITCH_RANGE),
                name="kit_pad_pitch_range",
            ),
        ]

    def __str__(self):
        return f"{self.kit} {self.bank}{self.pad_number}"

    @property
    def is_stereo(self) -> bool:
        return self.sample.channels >= 2

    def warnings(self, kit_bpm=None) -> list[str]:
        """What the SP-404MK2 would refuse or mangle, or why the sample clashes with the kit."""
        sample = self.sample
        return rules.pad_warnings(
            trashed=sample.deleted_at is not None,
            duration=sample.duration,
            kind=sample.kind,
            category=sample.category,
            tempo_bpm=sample.tempo_bpm,
            kit_bpm=kit_bpm,
        )


class KitPadRemoval(models.Model):
    """A pad emptied because its sample was purged from the trash, so the kit can say so."""

    kit = models.ForeignKey(Kit, on_delete=models.CASCADE, related_name="removals")
    bank = models.CharField(max_length=1, choices=KitPad.Bank.choices)
    pad_number = models.PositiveSmallIntegerField()
    sample_name = models.CharField(max_length=255)
    removed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-removed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bank__in=list(BANKS)), name="kit_removal_bank_valid"
            ),
            models.CheckConstraint(
                condition=Q(pad_number__gte=1, pad_number__lte=PADS_PER_BANK),
                name="kit_removal_pad_range",
            ),
        ]

    def __str__(self):
        return f"{self.sample_name} removed from {self.kit} {self.bank}{self.pad_number}"

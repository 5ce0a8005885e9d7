"""Kits: samples placed on the SP-404MK2's banks A-J of sixteen pads."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from library.models.samples import KEY_CHOICES, SCALE_CHOICES, null_or_between

BANKS = "ABCDEFGHIJ"
PADS_PER_BANK = 16
MAX_VOLUME = 127
PITCH_RANGE = 12  # semitones either way


class KitQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(owner=user)

    def visible_to(self, user):
        """The user's own kits and those other users shared read-only."""
        return self.filter(Q(owner=user) | Q(is_shared=True))


class Kit(models.Model):
    """A set of pad assignments for one SP-404MK2 project."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kits"
    )
    name = models.CharField(max_length=100)
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
            models.UniqueConstraint(fields=["owner", "name"], name="kit_unique_name_per_owner"),
            models.CheckConstraint(condition=~Q(name=""), name="kit_name_present"),
            models.CheckConstraint(
                condition=null_or_between("tempo_bpm", 20, 400), name="kit_tempo_range"
            ),
            models.CheckConstraint(
                condition=Q(key="", scale="") | (~Q(key="") & ~Q(scale="")),
                name="kit_key_and_scale_together",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-updated_at"], name="kit_owner_updated"),
            models.Index(fields=["is_shared"], name="kit_shared"),
        ]

    def __str__(self):
        return self.name


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
    volume = models.PositiveSmallIntegerField(default=MAX_VOLUME)
    pitch = models.SmallIntegerField(default=0, help_text="Semitones.")
    gate = models.BooleanField(default=False)
    loop = models.BooleanField(default=False)
    reverse = models.BooleanField(default=False)
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
                condition=Q(volume__gte=0, volume__lte=MAX_VOLUME), name="kit_pad_volume_range"
            ),
            models.CheckConstraint(
                condition=Q(pitch__gte=-PITCH_RANGE, pitch__lte=PITCH_RANGE),
                name="kit_pad_pitch_range",
            ),
        ]

    def __str__(self):
        return f"{self.kit} {self.bank}{self.pad_number}"


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
            models.CheckConstraint(condition=Q(bank__in=list(BANKS)), name="kit_removal_bank_valid"),
            models.CheckConstraint(
                condition=Q(pad_number__gte=1, pad_number__lte=PADS_PER_BANK),
                name="kit_removal_pad_range",
            ),
        ]

    def __str__(self):
        return f"{self.sample_name} removed from {self.kit} {self.bank}{self.pad_number}"

"""Copying kits: a duplicate for the owner, or a shared kit taken into another user's library."""

from django.db import transaction

from library.models import AudioFeatures, Sample

NAME_LENGTH = 100
# Personal state that belongs to the sample's owner, not to the sound.
NOT_COPIED = {"id", "owner", "created_at", "updated_at", "deleted_at", "last_played_at",
              "is_favorite", "rating", "search_text"}  # fmt: skip


def copy_kit(kit, user):
    """A new kit of `user` with the same pads; other users' samples are copied, not linked."""
    from kits.models import Kit, KitPad

    pads = list(kit.pads.select_related("sample", "sample__features"))
    with transaction.atomic():
        copy = Kit.objects.create(
            owner=user,
            name=free_name(user, kit.name),
            description=kit.description,
            tempo_bpm=kit.tempo_bpm,
            key=kit.key,
            scale=kit.scale,
        )
        samples = {}
        for pad in pads:
            if pad.sample_id not in samples:
                samples[pad.sample_id] = adopt_sample(pad.sample, user)
        KitPad.objects.bulk_create(
            KitPad(
                kit=copy,
                bank=pad.bank,
                pad_number=pad.pad_number,
                sample=samples[pad.sample_id],
                volume=pad.volume,
                pitch=pad.pitch,
                gate=pad.gate,
                loop=pad.loop,
                reverse=pad.reverse,
            )
            for pad in pads
        )
    return copy


def free_name(user, name: str) -> str:
    """'Name (copy)', or 'Name (copy 2)' and so on when the user already has that name."""
    from kits.models import Kit

    taken = set(Kit.objects.owned_by(user).values_list("name", flat=True))
    if name not in taken:
        return name
    number = 1
    while True:
        suffix = " (copy)" if number == 1 else f" (copy {number})"
        candidate = name[: NAME_LENGTH - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        number += 1


def adopt_sample(sample: Sample, user) -> Sample:
    """The user's own sample with this audio: theirs if they have it, else a copy of the row.

    The copy points at the same content-addressed file, so no audio is duplicated;
    purging deletes a file only when no sample of anyone refers to it.
    """
    if sample.owner_id == user.pk:
        return sample
    existing = Sample.objects.filter(owner=user, sha256=sample.sha256).first()
    if existing is not None:
        if existing.in_trash:
            existing.restore()
        return existing
    values = {
        field.attname: getattr(sample, field.attname)
        for field in Sample._meta.concrete_fields
        if field.name not in NOT_COPIED
    }
    copy = Sample.objects.create(owner=user, **values)
    features = getattr(sample, "features", None)  # None when the sample was never analysed
    if features is not None:
        copy_features(features, copy)
    return copy


def copy_features(features: AudioFeatures, sample: Sample) -> None:
    values = {
        field.attname: getattr(features, field.attname)
        for field in AudioFeatures._meta.concrete_fields
        if field.name not in {"sample", "created_at"}
    }
    AudioFeatures.objects.create(sample=sample, **values)

"""What kits add to the library: "Add to kit" on a selection, and pads emptied when a sample goes for good."""

from django.contrib import messages
from django.dispatch import receiver

from kits.models import Kit, KitPad, KitPadRemoval
from library import bulk
from library.forms import posted_ids
from library.signals import purging, released


@bulk.register("kit", "Add to kit", input_template="kits/bulk_kit_input.html")
def add_to_kit(request, samples, ids):
    """Put the selection on the chosen kit's empty pads that suit it, in the list's order."""
    chosen_kit = posted_ids([request.POST.get("kit", "")])
    kit = Kit.objects.owned_by(request.user).filter(pk__in=chosen_kit).first()
    if kit is None:
        messages.error(request, "Choose one of your kits to add the samples to.")
        return
    by_id = samples.in_bulk()
    chosen = [by_id[sample_id] for sample_id in dict.fromkeys(ids) if sample_id in by_id]
    pads, left_over = kit.add_samples(chosen)
    already = len(chosen) - len(pads) - len(left_over)
    places = ", ".join(f"{pad.bank}{pad.pad_number}" for pad in pads[:3])
    parts = [f"Added {len(pads)} sample{'s' if len(pads) != 1 else ''} to “{kit.name}”"
             + (f" ({places}{'…' if len(pads) > 3 else ''})." if pads else ".")]  # fmt: skip
    if already:
        parts.append(f"{already} {'was' if already == 1 else 'were'} already on it.")
    if left_over:
        parts.append(f"{len(left_over)} did not fit: all 160 pads are full.")
    level = messages.WARNING if left_over else messages.SUCCESS
    messages.add_message(request, level, " ".join(parts))


@receiver([purging, released])
def clear_pads(sender, sample, **kwargs):
    """Empty the pads that hold a sample about to be deleted or taken off its pads,
    leaving a note on each kit."""
    pads = list(KitPad.objects.filter(sample=sample))
    KitPadRemoval.objects.bulk_create(
        KitPadRemoval(
            kit_id=pad.kit_id, bank=pad.bank, pad_number=pad.pad_number, sample_name=sample.name
        )
        for pad in pads
    )
    KitPad.objects.filter(pk__in=[pad.pk for pad in pads]).delete()

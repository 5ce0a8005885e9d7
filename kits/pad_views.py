"""Pad changes: assign, move or swap, clear, options, and filling a bank from suggestions.

Each answers htmx with the changed pads, bank counters and summary (out of band), and
a plain form post with a redirect back to the kit page.
"""

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from core.sp404mk2 import BANKS, MIN_SAMPLE_SECONDS, PADS_PER_BANK, is_pad
from kits import suggest
from kits.forms import BANK_CHOICES, AssignForm, FillForm, MoveForm, PadOptionsForm, SlotForm
from kits.grid import KitLayout
from kits.models import Kit
from kits.pages import kit_url, owned_kit
from library.forms import given_id, posted_ids
from library.models import Sample
from library.music import signed

PAD_ID = re.compile(r"pad-([A-J])-(\d{1,2})")


def pad_change(request, kit, slots, error=""):
    """htmx: the targeted pad or editor, other changed pads out of band, counters, summary."""
    layout = KitLayout.of(kit)
    target = request.htmx.target or ""
    targeted = PAD_ID.fullmatch(target)
    if targeted and 1 <= int(targeted[2]) <= PADS_PER_BANK:
        # The pad swapped in place must be in the answer, changed or not.
        slots = [(targeted[1], int(targeted[2])), *slots]
    changed = [layout.slot(bank, number) for bank, number in dict.fromkeys(slots)]
    context = {
        "kit": kit,
        "layout": layout,
        "counts": layout.counts(),
        "changed": [(slot, slot.dom_id != target) for slot in changed],
        "changed_banks": {slot.bank for slot in changed},
        "can_edit": True,
        "bank_choices": BANK_CHOICES,
        "proposal": kit.proposal(),
    }
    if target == "pad-editor" and changed:
        editor = context["editor"] = changed[0]
        if editor.pad is None:
            context["suggestions"] = suggest.suggest(kit, editor.number)
    response = TemplateResponse(request, "kits/kit_detail.html#pad-change", context)
    if error:
        trigger_client_event(response, "kits:error", {"message": error})
    return response


def done(request, kit, slots, message="", error=""):
    """Answer a pad change: fragments for htmx, a redirect (and a message) for a plain form."""
    if request.htmx:
        return pad_change(request, kit, slots, error)
    if error:
        messages.error(request, error)
    elif message:
        messages.success(request, message)
    bank, number = slots[0] if slots else ("A", None)
    return redirect(kit_url(kit, bank, number if request.POST.get("editor") else None))


def first_error(form) -> str:
    return next(iter(form.errors.values()))[0] if form.errors else "That did not work."


def posted_slot(request):
    bank, pad = request.POST.get("bank", "A"), given_id(request.POST.get("pad_number", ""))
    valid = bank in BANKS and pad and pad <= PADS_PER_BANK
    return [(bank, pad)] if valid else []


@require_POST
def assign(request, pk):
    """Put a sample on a pad (replacing what was there)."""
    kit = owned_kit(request, pk)
    form = AssignForm(request.POST, kit=kit)
    if not form.is_valid():
        return done(request, kit, posted_slot(request), error=first_error(form))
    bank, number, sample = (form.cleaned_data[name] for name in ("bank", "pad_number", "sample"))
    tuning = form.cleaned_data.get("pitch")
    options = {} if tuning is None else {"pitch": tuning}
    try:
        kit.assign(bank, number, sample, **options)
    except ValidationError as error:
        return done(request, kit, [(bank, number)], error=error.messages[0])
    tuned = f", tuned {signed(tuning)} st" if tuning else ""
    return done(request, kit, [(bank, number)], f"{sample.name} is on pad {bank}{number}{tuned}.")


@require_POST
def move(request, pk):
    """Move a pad onto another pad; if that one holds a sample the two swap."""
    kit = owned_kit(request, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return done(request, kit, posted_slot(request), error=first_error(form))
    data = form.cleaned_data
    target, source = (data["bank"], data["pad_number"]), (data["from_bank"], data["from_pad"])
    moved = kit.move_pad(*source, *target)
    names = [f"{bank}{number}" for bank, number in (source, target)]
    if not moved:
        said = (
            "Nothing moved." if source == target else f"Pad {names[0]} is empty: nothing to move."
        )
    else:
        said = f"{'Moved pad {} to {}' if len(moved) == 1 else 'Swapped pads {} and {}'}.".format(
            *names
        )
    return done(request, kit, [target, source], said)


@require_POST
def clear(request, pk):
    """Empty a pad; its sample stays in the library."""
    kit = owned_kit(request, pk)
    form = SlotForm(request.POST)
    if not form.is_valid():
        return done(request, kit, [], error=first_error(form))
    slot = (form.cleaned_data["bank"], form.cleaned_data["pad_number"])
    kit.clear_pad(*slot)
    return done(request, kit, [slot], f"Cleared pad {slot[0]}{slot[1]}.")


@require_POST
def options(request, pk, bank, pad_number):
    """Volume, pitch, gate, loop, reverse of one pad (recorded, never applied to audio)."""
    kit = owned_kit(request, pk)
    pad = get_object_or_404(kit.pads, bank=bank, pad_number=pad_number)
    form = PadOptionsForm(request.POST, instance=pad)
    if not form.is_valid():
        return done(request, kit, [(bank, pad_number)], error=first_error(form))
    form.save()
    kit.touch()
    return done(request, kit, [(bank, pad_number)], f"Saved pad {bank}{pad_number}.")


@require_http_methods(["GET", "HEAD", "POST"])
def fill(request, pk):
    """Propose samples for a bank's empty pads (GET), then save the ones kept (POST)."""
    kit = owned_kit(request, pk)
    bank = (request.POST or request.GET).get("bank", "A")
    bank = bank if bank in BANKS else "A"
    if request.method == "POST":
        form = FillForm(request.POST, kit=kit)
        if form.is_valid():
            chosen = form.chosen()
            try:
                filled = kit.fill_bank(bank, chosen)
            except ValidationError as refusal:  # A sample went to the trash meanwhile.
                messages.error(request, f"Nothing was saved: {' '.join(refusal.messages)}")
            else:
                if filled:
                    messages.success(request, f"Filled {len(filled)} pads of bank {bank}.")
                elif chosen:
                    messages.info(request, f"Those pads of bank {bank} are filled already.")
                else:
                    messages.info(request, "No sample was kept, so no pad was filled.")
            return redirect(kit_url(kit, bank))
    proposal = suggest.fill_bank(kit, bank)
    context = {"kit": kit, "bank": bank, "proposal": proposal}
    return TemplateResponse(request, "kits/fill_bank.html", context)


@require_POST
def send_slices(request):
    """Put a chopped loop's slices on a bank's pads in the order posted (by time when none)."""
    loop = get_object_or_404(
        Sample.objects.owned_by(request.user).alive(),
        pk__in=posted_ids([request.POST.get("loop", "")]),
    )
    back = reverse("library:sample_detail", args=[loop.pk]) + "#chop"
    kit = Kit.objects.owned_by(request.user).filter(pk__in=posted_ids([request.POST.get("kit")]))
    bank = request.POST.get("bank", "")
    if not kit.exists() or bank not in BANKS:
        messages.error(request, "Choose one of your kits and a bank to send the slices to.")
        return redirect(back)
    if request.POST.get("how") == "marks":
        return whole_loop_with_marks(request, kit.get(), bank, loop, back)
    slices = loop.slices.alive().in_bulk()
    order = [pk for pk in posted_ids(request.POST.getlist("slices")) if pk in slices]
    chosen = [slices[pk] for pk in order] or sorted(
        slices.values(), key=lambda row: row.start_frame
    )
    kit = kit.get()
    try:
        pads = kit.send_slices(bank, chosen)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
        return redirect(back)
    short = sum(1 for pad in pads if pad.sample.duration < MIN_SAMPLE_SECONDS)
    note = f"Sent {len(pads)} slices of “{loop.name}” to bank {bank}, pads 1-{len(pads)}."
    if short:
        note += (
            f" {short} {'is' if short == 1 else 'are'} shorter than 100 ms: see the pads' warnings."
        )
    messages.add_message(request, messages.WARNING if short else messages.SUCCESS, note)
    return redirect(kit_url(kit, bank))


def whole_loop_with_marks(request, kit: Kit, bank: str, loop, back: str):
    """The loop on one pad, its slices kept as chop marks for project exports."""
    pad = posted_ids([request.POST.get("pad", "")])
    if not pad or not is_pad(bank, pad[0]):
        messages.error(request, "Choose the pad the whole loop goes on, 1 to 16.")
        return redirect(back)
    try:
        kit.mark_slices(bank, pad[0], loop)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
        return redirect(back)
    messages.success(
        request,
        f"Put “{loop.name}” on pad {bank}{pad[0]} with its slices as chop marks; an "
        "SP-404MK2 project export (experimental) writes them.",
    )
    return redirect(kit_url(kit, bank))

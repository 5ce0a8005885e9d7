"""Kit pages: the list, a kit's page with its pad grid and sample picker, and kit-level changes."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.sp404mk2 import BANKS, PADS_PER_BANK
from kits import suggest
from kits.forms import BANK_CHOICES, KitForm
from kits.grid import KitLayout
from kits.models import Kit
from kits.pages import kit_url, owned_kit
from library.forms import given_id
from library.listing import filtered_samples

PICKER_SIZE = 40
PARTIALS = {"bank-panel", "picker-results", "pad-editor"}


def kit_list(request, form=None):
    kits = (
        Kit.objects.visible_to(request.user)
        .select_related("owner")
        .annotate(pad_count=Count("pads"))
    )
    form = form or KitForm(owner=request.user)
    return TemplateResponse(request, "kits/index.html", {"kits": kits, "form": form})


@require_safe
def index(request):
    """The user's kits and the kits others shared, with a form for a new one."""
    return kit_list(request)


@require_http_methods(["GET", "POST"])
def create(request):
    """A new kit from the posted form; opened again (a reload, a bookmark) it goes to the kits."""
    if request.method == "GET":
        return redirect("kits:index")
    form = KitForm(request.POST, owner=request.user)
    if not form.is_valid():
        return kit_list(request, form)
    kit = form.save(commit=False)
    kit.owner = request.user
    kit.save()
    return redirect(kit_url(kit))


def requested_slot(request) -> tuple[str, int | None]:
    """The bank (default A) and pad the URL asks for; nonsense falls back quietly."""
    bank = request.GET.get("bank", "A").upper()
    bank = bank if bank in BANKS else "A"
    number = given_id(request.GET.get("pad", ""))
    number = number if number and number <= PADS_PER_BANK else None
    return bank, number


def page_context(request, kit, form=None) -> dict:
    bank, pad_number = requested_slot(request)
    layout = KitLayout.of(kit)
    can_edit = kit.owner_id == request.user.id
    context = {
        "kit": kit, "layout": layout, "bank": bank, "slots": layout.slots(bank),
        "counts": layout.counts(), "can_edit": can_edit, "bank_choices": BANK_CHOICES,
        "removals": kit.removals.all()[:5],
    }  # fmt: skip
    if pad_number:
        context["editor"] = layout.slot(bank, pad_number)
    if can_edit:
        picker_form, samples = filtered_samples(request)
        shown = list(samples[: PICKER_SIZE + 1])
        pick = given_id(request.GET.get("pick", ""))
        context |= {
            "picker_form": picker_form,
            "picker_samples": shown[:PICKER_SIZE],
            "picker_more": len(shown) > PICKER_SIZE,
            "picker_size": PICKER_SIZE,
            "pick": samples.filter(pk=pick).first() if pick else None,
            "kit_form": form or KitForm(instance=kit, owner=request.user),
            "proposal": kit.proposal(),
        }
        if pad_number and context["editor"].pad is None:
            context["suggestions"] = suggest.suggest(kit, pad_number)
    return context


@require_safe
def kit_detail(request, pk):
    """A kit's page; bank tabs, the picker's filters and the pad editor swap only their part."""
    kit = get_object_or_404(Kit.objects.visible_to(request.user).select_related("owner"), pk=pk)
    template = "kits/kit_detail.html"
    if request.htmx.target in PARTIALS:
        # A bank tab also brings what follows the shown bank: the fill link and the forms' bank.
        template += (
            "#bank-change" if request.htmx.target == "bank-panel" else f"#{request.htmx.target}"
        )
    response = TemplateResponse(request, template, page_context(request, kit))
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@require_POST
def edit(request, pk):
    """Rename, describe, share, or set the tempo and key of a kit."""
    kit = owned_kit(request, pk)
    form = KitForm(request.POST, instance=kit, owner=request.user)
    if not form.is_valid():
        kit.refresh_from_db()
        return TemplateResponse(request, "kits/kit_detail.html", page_context(request, kit, form))
    form.save()
    messages.success(request, "Kit saved.")
    return redirect(kit_url(kit, request.POST.get("bank", "A")))


@require_POST
def propose(request, pk):
    """Take the tempo and key the kit's loops propose."""
    kit = owned_kit(request, pk)
    if kit.adopt_proposal():
        messages.success(request, "Tempo and key set from the kit's loops.")
    else:
        messages.info(request, "The kit has no loops with a tempo or key yet.")
    return redirect(kit_url(kit))


@require_POST
def copy(request, pk):
    """Duplicate one's own kit, or copy a shared kit (and its samples) into one's own."""
    kit = get_object_or_404(Kit.objects.visible_to(request.user), pk=pk)
    new_kit = kit.copy_for(request.user)
    messages.success(request, f"Copied to “{new_kit.name}”.")
    return redirect(kit_url(new_kit))


@require_http_methods(["GET", "HEAD", "POST"])
def delete(request, pk):
    """Ask, then delete a kit (its samples stay in the library)."""
    kit = owned_kit(request, pk)
    if request.method == "POST":
        name = kit.name
        kit.delete()
        messages.success(request, f"Deleted “{name}”.")
        return redirect("kits:index")
    pads = kit.pads.count()
    return TemplateResponse(request, "kits/kit_confirm_delete.html", {"kit": kit, "pads": pads})

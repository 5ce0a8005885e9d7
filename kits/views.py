"""Kit pages."""

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from kits.models import BANKS, Kit


@require_safe
def index(request):
    """The user's kits and the kits others shared."""
    kits = (
        Kit.objects.visible_to(request.user)
        .select_related("owner")
        .annotate(pad_count=Count("pads"))
    )
    return TemplateResponse(request, "kits/index.html", {"kits": kits})


@require_safe
def kit_detail(request, pk):
    kit = get_object_or_404(Kit.objects.visible_to(request.user).select_related("owner"), pk=pk)
    pads = kit.pads.select_related("sample")
    by_bank = {bank: [] for bank in BANKS}
    for pad in pads:
        by_bank[pad.bank].append(pad)
    context = {"kit": kit, "banks": by_bank, "can_edit": kit.owner_id == request.user.id}
    return TemplateResponse(request, "kits/kit_detail.html", context)

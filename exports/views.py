"""Export pages."""

from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from exports.models import Export


@require_safe
def index(request):
    """The user's export history."""
    exports = Export.objects.owned_by(request.user).select_related("kit")[:100]
    return TemplateResponse(request, "exports/index.html", {"exports": exports})


@require_safe
def export_detail(request, pk):
    export = get_object_or_404(Export.objects.owned_by(request.user), pk=pk)
    items = export.items.select_related("sample")
    return TemplateResponse(
        request, "exports/export_detail.html", {"export": export, "items": items}
    )

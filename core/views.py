"""Site pages for staff: the slow log."""

from django.conf import settings
from django.http import Http404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from core.slowlog import NEWEST_LIMIT, log_path, newest_entries


@require_safe
def slow_log(request):
    """The newest slow requests and queries, newest first; other users get a 404 as for others' things."""
    if not request.user.is_staff:
        raise Http404("No such page.")
    context = {
        "entries": newest_entries(),
        "limit": NEWEST_LIMIT,
        "request_ms": settings.SLOW_REQUEST_MS,
        "query_ms": settings.SLOW_QUERY_MS,
        "log_name": log_path().relative_to(settings.DATA_DIR),
    }
    return TemplateResponse(request, "core/slow_log.html", context)

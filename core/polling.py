"""Pages with a progress region that polls itself until the job behind it is finished."""

from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django_htmx.http import HTMX_STOP_POLLING


def page_or_progress(request, page: str, partial: str, target: str, context, finished: bool):
    """The whole page, or (when htmx polls `target`) only its `partial`, answered
    with 286 once the job is finished so that htmx stops polling."""
    if request.htmx.target == target:
        status = HTMX_STOP_POLLING if finished else 200
        response = TemplateResponse(request, f"{page}#{partial}", context, status=status)
    else:
        response = TemplateResponse(request, page, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response

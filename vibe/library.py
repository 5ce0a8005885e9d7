"""What vibe analysis adds to the library: "Describe vibe" on a selection."""

from django.contrib import messages

from library import bulk
from vibe.service import NOT_CONFIGURED, is_configured
from vibe.tasks import queue_vibe


@bulk.register("vibe", "Describe vibe")
def describe_selection(request, samples, ids):
    if not is_configured():  # Nothing would be described: say so, queue nothing.
        messages.error(request, NOT_CONFIGURED)
        return
    count = queue_vibe(list(samples.values_list("pk", flat=True)), "batch")
    bulk.counted(
        request, "Queued for vibe description (each sample's page shows the result):", count
    )

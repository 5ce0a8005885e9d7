"""Searching the library with a sound: a dropped file or a recording, never kept."""

import tempfile
from pathlib import Path

from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from library.forms import SoundSearchForm
from library.listing import filtered_samples, rows_in_order

# A query is compared by its first 30 seconds: enough for any sample, and it
# bounds the request's time (a 5 s clip's features take about a tenth of a second).
MAX_CLIP_SECONDS = 30


@require_http_methods(["GET", "POST"])
def sound_search(request):
    """The samples nearest to the posted sound, within the filters in the query string.

    A results address opened again (a bookmark, a new tab) has no sound to
    search with: it goes back to the library with the same filters.
    """
    if request.method == "GET":
        query = request.GET.urlencode()
        return redirect(reverse("library:index") + (f"?{query}" if query else ""))
    form = SoundSearchForm(request.POST, request.FILES)
    context = {"form": form, "samples": [], "scores": {}}
    if form.is_valid():
        clip = form.cleaned_data["clip"]
        vector, problem = clip_vector(clip)
        if problem:
            form.add_error("clip", problem)
        else:
            context |= nearest_rows(request, vector) | {"clip_name": clip.name}
    return TemplateResponse(request, "library/sound_search.html", context)


def clip_vector(clip) -> tuple[list[float] | None, str]:
    """The clip's similarity features, or None and why it could not be heard."""
    # Imported here: the analysis engine costs a web process 0.6 s to import.
    from library.analysis import AnalysisError, load_audio, sound_vector

    suffix = Path(clip.name).suffix.lower()[:8]
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        for chunk in clip.chunks():
            copy.write(chunk)
        copy.flush()
        try:
            decoded = load_audio(copy.name, max_seconds=MAX_CLIP_SECONDS)
        except AnalysisError as error:
            return None, str(error)
    if not decoded.samples.any():
        return None, "The sound is silent: there is nothing to compare."
    return sound_vector(decoded), ""


def nearest_rows(request, vector) -> dict:
    from library.similarity import sounds_like

    form, samples = filtered_samples(request)
    within = samples if form.is_bound else None
    nearest = sounds_like(request.user, vector, limit=30, within_ids=within)
    rows = rows_in_order([sample_id for sample_id, _score in nearest])
    return {"samples": rows, "scores": dict(nearest), "filtered": form.is_bound}

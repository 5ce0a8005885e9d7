"""The chop editor on a loop's page: cutting the loop into slices that play from its file."""

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.sp404mk2 import MIN_SAMPLE_SECONDS
from library import audio, chops, slicing
from library.forms import ChopForm
from library.models import Sample

CHOP_DEFAULTS = {"mode": "parts", "parts": 8, "level": "medium", "snap": True}


@dataclass(frozen=True)
class SliceView:
    """One slice as the editor draws it."""

    sample: Sample
    number: int
    left: float  # percent of the loop
    width: float

    @property
    def x(self) -> str:
        """Where the slice starts on the editor's 1000-unit-wide drawing."""
        return f"{self.left * 10:.2f}"

    @property
    def too_short(self) -> bool:
        return self.sample.duration < MIN_SAMPLE_SECONDS


def can_chop(sample: Sample) -> bool:
    """Loops (and whatever was already chopped) get the editor; slices are not chopped again."""
    if sample.parent_id is not None or sample.in_trash:
        return False
    return sample.kind == Sample.Kind.LOOP or sample.slices.alive().exists()


def editor_context(loop: Sample, form: ChopForm | None = None) -> dict:
    """What the chop editor shows: the cuts, each slice's place, and how to cut again."""
    frames = slicing.frame_count(loop)
    slices = list(loop.slices.alive().order_by("start_frame", "pk"))
    views = [
        SliceView(
            row,
            number,
            left=100 * row.start_frame / frames,
            width=100 * (row.end_frame - row.start_frame) / frames,
        )
        for number, row in enumerate(slices, start=1)
    ]
    features = getattr(loop, "features", None)
    return {
        "loop": loop,
        "frames": frames,
        "cuts": ",".join(str(row.start_frame) for row in slices[1:]),
        "slices": views,
        "short_slices": sum(view.too_short for view in views),
        "onset_count": len(features.onset_times) if features else 0,
        "chop_form": form or ChopForm(initial=CHOP_DEFAULTS),
        "fade_ms": chops.FADE_MS,
        "min_slice_ms": chops.MIN_SLICE_MS,
        "max_slices": chops.MAX_SLICES,
    }


@require_POST
def chop(request, pk):
    """Cut the loop as asked and save the slices, replacing its earlier chop."""
    loop = get_object_or_404(
        Sample.objects.owned_by(request.user).select_related("features"),
        pk=pk,
        parent__isnull=True,
        deleted_at__isnull=True,
    )
    form = ChopForm(request.POST)
    frames = slicing.frame_count(loop)
    cuts = form.cuts_for(loop, frames) if form.is_valid() else None
    note = ""
    if cuts is not None:
        note = chopped_note(slicing.chop(loop, cuts, snap=form.cleaned_data["snap"]))
        # The next chop starts from the choices just made.
        chosen = {
            name: form.cleaned_data[name] for name in ("parts", "level") if form.cleaned_data[name]
        }
        form = ChopForm(initial=CHOP_DEFAULTS | chosen)
    if request.htmx.target != "chop-editor":
        if note:
            messages.success(request, note)
        else:
            messages.error(request, first_error(form))
        return redirect(reverse("library:sample_detail", args=[loop.pk]) + "#chop")
    context = editor_context(loop, form) | {"chop_note": note}
    return TemplateResponse(request, "library/sample_detail.html#chop-editor", context)


def chopped_note(done: slicing.Chopped) -> str:
    if not done.slices:
        return f"No slices now ({done.removed} removed)." if done.removed else "No slices."
    parts = [f"{len(done.slices)} slices"]
    changes = [f"{count} {word}" for count, word in
               ((done.created, "new"), (done.moved, "moved"), (done.removed, "removed")) if count]  # fmt: skip
    return " ".join(parts) + (f" ({', '.join(changes)})." if changes else ", unchanged.")


def first_error(form: ChopForm) -> str:
    for errors in form.errors.values():
        return errors[0]
    return "The chop could not be made."


def slice_audio_response(sample: Sample) -> HttpResponse:
    """A slice's frames as WAV, rendered from its loop's file."""
    try:
        wav = audio.slice_wav(sample)
    except (RuntimeError, OSError):
        return HttpResponse("The loop's audio file could not be read.", status=404)
    response = HttpResponse(wav, content_type="audio/wav")
    response["Cache-Control"] = "private, max-age=60"
    return response

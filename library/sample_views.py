"""A sample's page and what can be done to one sample: edit, tag, rate, trash, play."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.redirects import next_url
from core.sp404mk2 import in_tempo_range
from library import audio as audio_files
from library import chop_views, corrections, downloads, slicing
from library.audio import CONTENT_TYPES, ranged_file_response
from library.forms import SampleEditForm, TagForm, posted_ids
from library.models import Sample, Tag
from library.models.samples import KIND_LABELS
from library.tasks import queue_stretch, requeue_analysis
from library.vocabulary import CATEGORY_LABELS


def own_sample(request, pk, **filters) -> Sample:
    return get_object_or_404(Sample.objects.owned_by(request.user).filter(**filters), pk=pk)


def back(request, sample: Sample):
    """Return to where the action came from (the list or the sample page)."""
    return redirect(next_url(request, reverse("library:sample_detail", args=[sample.pk])))


@require_http_methods(["GET", "HEAD", "POST"])
def sample_detail(request, pk):
    """Everything measured about a sample, with its player and edit form."""
    sample = get_object_or_404(
        Sample.objects.owned_by(request.user).select_related("features", "vibe"), pk=pk
    )
    form = SampleEditForm(request.POST or None, instance=sample)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved.")
        url = reverse("library:sample_detail", args=[sample.pk])
        corrected = [field for field in corrections.LEARNED if field in form.changed_data]
        if corrected:
            # Offer the correction to the samples that sound nearest and still say what it said.
            field = corrected[0]
            url += "?" + urlencode({"corrected": field, "was": form.initial.get(field) or ""})
        return redirect(url)
    if form.is_bound:
        # Validating wrote the refused values onto the instance; the page shows what is saved.
        sample.refresh_from_db()
    context = {
        **(chop_views.editor_context(sample) if chop_views.can_chop(sample) else {}),
        "sample": sample,
        "form": form,
        "tag_form": TagForm(),
        "tags": sample.tags.all(),
        **relabel_context(sample, request.GET.get("corrected"), request.GET.get("was", "")),
    }
    return TemplateResponse(request, "library/sample_detail.html", context)


# The words for each label a correction can be passed on with.
LABELS = {"category": CATEGORY_LABELS, "kind": KIND_LABELS}


def relabel_context(sample, field, was: str) -> dict:
    """The offer to give the nearest samples still labelled `was` this sample's new label."""
    if field not in corrections.LEARNED or sample.status != Sample.Status.READY:
        return {}
    labels = LABELS[field]
    if was not in labels:  # From the URL: only a real label is looked up.
        return {}
    offer = corrections.relabel_offer(sample, field, was)
    if not offer:
        return {}
    return {
        "relabel": {
            "field": field,
            "value": getattr(sample, field),
            "label": labels.get(getattr(sample, field), ""),
            "was_label": labels.get(was, was),
            "offer": offer,
        }
    }


@require_POST
def relabel(request, pk):
    """Give the chosen similar samples the label just corrected on this one."""
    sample = own_sample(request, pk)
    field = request.POST.get("field")
    if field not in corrections.LEARNED or not getattr(sample, field):
        messages.error(request, "Only a category or a type can be passed on to similar samples.")
        return back(request, sample)
    chosen = posted_ids(request.POST.getlist("samples"))
    value = getattr(sample, field)
    count = corrections.relabel(request.user, chosen, field, value)
    labels = LABELS[field]
    noun = "sample" if count == 1 else "samples"
    messages.success(request, f"Called {count} similar {noun} {labels.get(value, value)}.")
    return back(request, sample)


@require_POST
def add_tag(request, pk):
    sample = own_sample(request, pk, deleted_at__isnull=True)
    form = TagForm(request.POST)
    if form.is_valid():
        name = form.cleaned_data["name"]
        if already := sample.tags.named(Tag.clean_name(name)).first():
            note = f"Already tagged “{already.name}”."
            form.add_error("name", note)
            if not request.htmx:
                messages.info(request, note)
        else:
            sample.add_tag(name)
    elif not request.htmx:
        messages.error(request, f"The tag was not added: {form.errors['name'][0]}")
    return tags_response(request, sample, form)


@require_POST
def remove_tag(request, pk, tag_pk):
    sample = own_sample(request, pk)
    tag = get_object_or_404(sample.tags.all(), pk=tag_pk)
    sample.remove_tag(tag)
    return tags_response(request, sample, TagForm())


def tags_response(request, sample, form):
    if request.htmx.target == "sample-tags":
        context = {"sample": sample, "tags": sample.tags.all(), "tag_form": form}
        return TemplateResponse(request, "library/sample_detail.html#tags", context)
    return back(request, sample)


@require_POST
def set_tempo(request, pk):
    """Double or halve the tempo (the commonest correction), as the user's value."""
    sample = own_sample(request, pk)
    factor = {"double": 2.0, "half": 0.5}.get(request.POST.get("change"))
    if factor and sample.tempo_bpm and in_tempo_range(sample.tempo_bpm * factor):
        sample.save(update_fields=sample.set_by_user(tempo_bpm=round(sample.tempo_bpm * factor, 2)))
    return back(request, sample)


@require_POST
def reanalyze(request, pk):
    sample = own_sample(request, pk)
    requeue_analysis(Sample.objects.filter(pk=sample.pk))
    messages.info(request, "Analysis queued; values you set by hand stay as they are.")
    return back(request, sample)


@require_POST
def favorite(request, pk):
    sample = own_sample(request, pk)
    sample.is_favorite = request.POST.get("favorite") == "1"
    sample.save(update_fields=["is_favorite", "updated_at"])
    return back(request, sample)


@require_POST
def rate(request, pk):
    sample = own_sample(request, pk)
    rating = request.POST.get("rating", "")
    sample.rating = int(rating) if rating in {"1", "2", "3", "4", "5"} else None
    sample.save(update_fields=["rating", "updated_at"])
    return back(request, sample)


@require_POST
def trash(request, pk):
    sample = own_sample(request, pk, deleted_at__isnull=True)
    if sample.slices.alive().exists():
        return trash_loop(request, sample)
    sample.move_to_trash()
    messages.success(request, f"“{sample.name}” is in the trash for 30 days.")
    return redirect(next_url(request, reverse("library:index")))


def trash_loop(request, loop):
    """A chopped loop goes with its slices; if slices are on pads, first ask about those pads."""
    choice = request.POST.get("slices")
    on_pads = loop.slices.alive().filter(kit_pads__isnull=False).distinct()
    if choice not in {"keep", "off"} and on_pads.exists():
        context = {"sample": loop, "on_pads": on_pads, "next": request.POST.get("next", "")}
        return TemplateResponse(request, "library/trash_loop.html", context)
    count = slicing.trash_loop(loop, off_pads=choice == "off")
    slices = f"{count} slice{'s' if count != 1 else ''}"
    messages.success(request, f"“{loop.name}” and its {slices} are in the trash for 30 days.")
    return redirect(next_url(request, reverse("library:index")))


@require_POST
def restore(request, pk):
    sample = own_sample(request, pk, deleted_at__isnull=False)
    slicing.restore_loop(sample)
    messages.success(request, f"“{sample.name}” is back in the library.")
    return redirect(next_url(request, reverse("library:trash")))


@require_POST
def played(request, pk):
    """Remember that the sample was auditioned (for "recently played"): the owner's only."""
    mine = Sample.objects.owned_by(request.user).filter(pk=pk)
    if not mine.update(last_played_at=timezone.now()):
        raise Http404("No such sample of yours.")
    return HttpResponse(status=204)


@require_safe
def download(request, pk):
    """The sample as a file to keep: the original, or ``?version=`` one another app makes."""
    sample = get_object_or_404(Sample.objects.playable_by(request.user), pk=pk)
    version = downloads.VERSIONS.get(request.GET.get("version", ""))
    if "version" in request.GET and version is None:
        raise Http404("No such version of a sample.")
    if version is None and sample.parent_id is None:
        path = Path(settings.MEDIA_ROOT) / sample.file.name
        if not path.is_file():
            raise Http404("The sample's audio file is missing from the data directory.")
        return FileResponse(
            open(path, "rb"),  # FileResponse closes it when the response is done.
            as_attachment=True,
            filename=downloads.original_name(sample),
            content_type=downloads.original_type(sample),
        )
    try:
        data = version.render(sample) if version else audio_files.slice_wav(sample)
    except (RuntimeError, OSError) as error:
        raise Http404("The sample's audio could not be read.") from error
    except downloads.Unavailable as refusal:
        return HttpResponse(str(refusal), status=409, content_type="text/plain; charset=utf-8")
    name = version.file_name(sample) if version else downloads.original_name(sample)
    response = HttpResponse(data, content_type=version.content_type if version else "audio/wav")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@require_safe
def audio(request, pk):
    """The sample's playable audio, with byte ranges, to its owner and to shared kits' users;
    ``?bpm=`` gives a loop's stretched preview at that tempo once it is made."""
    sample = get_object_or_404(Sample.objects.playable_by(request.user), pk=pk)
    bpm = stretch_tempo(sample, request.GET.get("bpm"))
    if bpm and audio_files.stretched_path(sample, bpm).is_file():
        return ranged_file_response(request, audio_files.stretched_path(sample, bpm), "audio/wav")
    if sample.parent_id is not None:
        return chop_views.slice_audio_response(sample)
    name = sample.playable_name
    path = Path(settings.MEDIA_ROOT) / name
    content_type = CONTENT_TYPES.get(Path(name).suffix.lstrip("."), "application/octet-stream")
    return ranged_file_response(request, path, content_type)


# How far from its own tempo a loop is stretched for a preview: a quarter to four times.
STRETCH_LIMITS = (0.25, 4.0)


def stretch_tempo(sample, posted) -> float | None:
    """The tempo asked for, if the sample is a loop that can be heard at it, else None."""
    try:
        bpm = round(float(posted), 2)
    except (TypeError, ValueError):
        return None
    if not sample.tempo_bpm or sample.kind != Sample.Kind.LOOP or not in_tempo_range(bpm):
        return None
    low, high = STRETCH_LIMITS
    if abs(bpm - sample.tempo_bpm) < 0.005 or not low <= sample.tempo_bpm / bpm <= high:
        return None
    return bpm


@require_safe
def stretched(request, pk):
    """Whether the loop's preview at ``?bpm=`` is ready (its URL), being made, or not offered
    (one-shots, no tempo, its own tempo): JSON for the player, which polls it."""
    sample = get_object_or_404(Sample.objects.playable_by(request.user), pk=pk)
    bpm = stretch_tempo(sample, request.GET.get("bpm"))
    if bpm is None:
        return JsonResponse({"state": "as-is"})
    url = f"{reverse('library:audio', args=[sample.pk])}?bpm={bpm:.2f}"
    if audio_files.stretched_path(sample, bpm).is_file():
        return JsonResponse({"state": "ready", "url": url})
    if audio_files.claim_stretch(sample, bpm):
        queue_stretch(sample, bpm)
    return JsonResponse({"state": "stretching"})

"""Organising many samples at once: bulk actions, the trash and tag management."""

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from kits.models import Kit
from library.forms import posted_ids
from library.models import Sample, SampleTag, Tag
from library.sample_views import next_url
from library.tasks import queue_vibe, requeue_analysis
from library.trash import TRASH_DAYS, purge
from library.vibe import NOT_CONFIGURED, is_configured

BULK_ACTIONS = {"tag", "untag", "genre", "trash", "analyze", "vibe"}


def safe_next(request, default="library:index"):
    return redirect(next_url(request, reverse(default)))


@require_POST
def bulk(request):
    """Apply one action to the selected samples."""
    action = request.POST.get("action")
    ids = posted_ids(request.POST.getlist("samples"))
    if action == "export" and ids:
        return redirect(f"{reverse('exports:new')}?samples={','.join(map(str, ids))}")
    samples = Sample.objects.owned_by(request.user).alive().filter(pk__in=ids)
    if action == "kit" and ids:
        return add_to_kit(request, samples, ids)
    if action not in BULK_ACTIONS or not ids:
        messages.error(request, "Select samples and an action.")
        return safe_next(request)
    value = " ".join(request.POST.get("value", "").split())
    if action == "vibe" and not is_configured():
        messages.error(
            request, NOT_CONFIGURED
        )  # Nothing would be described: say so, queue nothing.
        return safe_next(request)
    count = apply_bulk(samples, action, value)
    messages.success(request, f"{BULK_MESSAGES[action]} {count} sample{'s' if count != 1 else ''}.")
    return safe_next(request)


def add_to_kit(request, samples, ids):
    """Put the selection on the chosen kit's first empty pads, in the list's order."""
    chosen_kit = posted_ids([request.POST.get("kit", "")])
    kit = Kit.objects.owned_by(request.user).filter(pk__in=chosen_kit).first()
    if kit is None:
        messages.error(request, "Choose one of your kits to add the samples to.")
        return safe_next(request)
    by_id = samples.in_bulk()
    chosen = list({int(i): by_id[int(i)] for i in ids if int(i) in by_id}.values())
    pads, left_over = kit.add_samples(chosen)
    already = len(chosen) - len(pads) - len(left_over)
    places = ", ".join(f"{pad.bank}{pad.pad_number}" for pad in pads[:3])
    parts = [f"Added {len(pads)} sample{'s' if len(pads) != 1 else ''} to “{kit.name}”"
             + (f" ({places}{'…' if len(pads) > 3 else ''})." if pads else ".")]  # fmt: skip
    if already:
        parts.append(f"{already} {'was' if already == 1 else 'were'} already on it.")
    if left_over:
        parts.append(f"{len(left_over)} did not fit: all 160 pads are full.")
    level = messages.WARNING if left_over else messages.SUCCESS
    messages.add_message(request, level, " ".join(parts))
    return safe_next(request)


BULK_MESSAGES = {
    "tag": "Tagged",
    "untag": "Untagged",
    "genre": "Set the genre of",
    "trash": "Moved to the trash:",
    "analyze": "Queued for analysis:",
    "vibe": "Queued for vibe description (each sample's page shows the result):",
}


def apply_bulk(samples, action: str, value: str) -> int:
    with transaction.atomic():
        selected = list(samples)
        if action == "tag" and value:
            for sample in selected:
                sample.add_tag(value)
        elif action == "untag" and value:
            for link in SampleTag.objects.filter(sample__in=selected, tag__name__iexact=value):
                link.delete()
        elif action == "genre":
            for sample in selected:
                sample.save(update_fields=sample.set_by_user(genre=value[:64]))
        elif action == "trash":
            for sample in selected:
                sample.move_to_trash()
        elif action == "analyze":
            requeue_analysis(samples)
        elif action == "vibe":
            return queue_vibe([sample.pk for sample in selected], "batch")
    return len(selected)


@require_safe
def trash_list(request):
    samples = Sample.objects.owned_by(request.user).trashed().order_by("-deleted_at")
    return TemplateResponse(
        request, "library/trash.html", {"samples": samples[:500], "days": TRASH_DAYS}
    )


@require_POST
def empty_trash(request):
    count = purge(Sample.objects.owned_by(request.user).trashed())
    messages.success(request, f"Deleted {count} sample{'s' if count != 1 else ''} for good.")
    return redirect("library:trash")


@require_safe
def tag_list(request):
    tags = Tag.objects.filter(owner=request.user).annotate(
        usage=Count("sample_tags", filter=Q(sample_tags__sample__deleted_at__isnull=True))
    )
    return TemplateResponse(request, "library/tags.html", {"tags": tags})


@require_POST
def rename_tag(request, pk):
    """Rename a tag; renaming onto another tag's name merges the two."""
    tag = get_object_or_404(Tag.objects.filter(owner=request.user), pk=pk)
    name = " ".join(request.POST.get("name", "").split())[:64]
    if not name:
        messages.error(request, "A tag needs a name.")
        return redirect("library:tags")
    existing = Tag.objects.filter(owner=request.user, name__iexact=name).exclude(pk=tag.pk).first()
    if existing:
        merge_tags(tag, existing)
        messages.success(request, f"Merged “{tag.name}” into “{existing.name}”.")
    else:
        tag.name = name
        tag.save()
        messages.success(request, f"Renamed to “{name}”.")
    return redirect("library:tags")


def merge_tags(source: Tag, target: Tag) -> None:
    """Move every sample of `source` to `target`, then delete `source`."""
    with transaction.atomic():
        for link in SampleTag.objects.filter(tag=source).select_related("sample"):
            if not SampleTag.objects.filter(sample=link.sample, tag=target).exists():
                SampleTag.objects.create(sample=link.sample, tag=target, source=link.source)
            link.delete()
        source.delete()


@require_POST
def delete_tag(request, pk):
    tag = get_object_or_404(Tag.objects.filter(owner=request.user), pk=pk)
    for link in SampleTag.objects.filter(tag=tag):
        link.delete()
    tag.delete()
    messages.success(request, f"Deleted the tag “{tag.name}”.")
    return redirect("library:tags")

"""Organising many samples at once: bulk actions, the trash and tag management."""

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from core.redirects import next_url
from library import bulk as bulk_actions
from library.forms import TagForm, posted_ids
from library.models import Sample, Tag
from library.trash import TRASH_DAYS, purge


def safe_next(request, default="library:index"):
    return redirect(next_url(request, reverse(default)))


@require_POST
def bulk(request):
    """Apply one action to the selected samples."""
    action = bulk_actions.ACTIONS.get(request.POST.get("action", ""))
    ids = posted_ids(request.POST.getlist("samples"))
    if action is None or not ids:
        messages.error(request, "Select samples and an action.")
        return safe_next(request)
    samples = Sample.objects.owned_by(request.user).alive().filter(pk__in=ids)
    return action.handler(request, samples, ids) or safe_next(request)


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
    old_name = tag.name
    form = TagForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not renamed: {form.errors['name'][0]}")
        return redirect("library:tags")
    renamed = tag.rename(form.cleaned_data["name"])
    if renamed.pk != tag.pk:
        messages.success(request, f"Merged “{old_name}” into “{renamed.name}”.")
    else:
        messages.success(request, f"Renamed to “{renamed.name}”.")
    return redirect("library:tags")


@require_POST
def delete_tag(request, pk):
    tag = get_object_or_404(Tag.objects.filter(owner=request.user), pk=pk)
    tag.remove()
    messages.success(request, f"Deleted the tag “{tag.name}”.")
    return redirect("library:tags")

"""Actions on a selection of samples: the library's own, and those other apps add.

An app adds its action when it starts (``AppConfig.ready``), so the library
offers "Add to kit" or "Describe vibe" without knowing kits or vibe analysis.
A handler gets the request, the user's selected live samples and the ids in the
order they were selected; it says what it did with messages and returns a
response, or None to send the user back where they came from.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages

from library.tasks import requeue_analysis


@dataclass(frozen=True)
class BulkAction:
    name: str
    label: str
    handler: Callable
    input_template: str = ""  # An extra field the action needs, shown while it is chosen.


ACTIONS: dict[str, BulkAction] = {}


def register(name: str, label: str, *, input_template: str = ""):
    """Decorate a handler to offer it as a bulk action."""

    def add(handler):
        ACTIONS[name] = BulkAction(name, label, handler, input_template)
        return handler

    return add


def offered() -> list[BulkAction]:
    """The actions in the order they were added, moving to the trash last."""
    return sorted(ACTIONS.values(), key=lambda action: action.name == "trash")


def counted(request, done: str, count: int) -> None:
    messages.success(request, f"{done} {count} sample{'s' if count != 1 else ''}.")


class ValueForm(forms.Form):
    """The tag or genre a bulk action applies."""

    value = forms.CharField(max_length=64, required=False)


def with_value(action):
    """Run ``action(request, samples, value)`` with the posted tag or genre, or say what is wrong with it."""

    def handler(request, samples, ids):
        form = ValueForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"Nothing was changed: {form.errors['value'][0]}")
            return None
        return action(request, samples, " ".join(form.cleaned_data["value"].split()))

    return handler


def tagging(request, value, change, verb: str, done: str, unchanged: str) -> None:
    """Run ``change(value)`` on the selection and say how many samples it changed."""
    if not value:
        messages.error(request, f"Nothing was changed: type the tag to {verb}.")
    elif changed := change(value):
        counted(request, done, changed)
    else:
        messages.info(request, unchanged)


@register("tag", "Add tag")
@with_value
def tag(request, samples, value):
    already = f"Every selected sample already has the tag “{value}”."
    tagging(request, value, samples.add_tag, "add", f"Tagged “{value}”:", already)


@register("untag", "Remove tag")
@with_value
def untag(request, samples, value):
    missing = f"None of the selected samples has the tag “{value}”."
    tagging(request, value, samples.remove_tag, "remove", f"Took “{value}” off", missing)


@register("genre", "Set genre")
@with_value
def set_genre(request, samples, value):
    counted(request, "Set the genre of", samples.set_genre(value))


@register("analyze", "Analyse again")
def analyse_again(request, samples, ids):
    counted(request, "Queued for analysis:", requeue_analysis(samples))


@register("trash", "Move to trash")
def trash(request, samples, ids):
    counted(request, "Moved to the trash:", samples.move_to_trash())

"""Kits where library pages show them: the user's kits to add to, the kits a sample is on."""

from django import template

from core.sp404mk2 import BANKS, PADS_PER_BANK
from kits.models import Kit

register = template.Library()


@register.simple_tag
def kits_of(user):
    """The user's kits by name, for choosing one."""
    return Kit.objects.owned_by(user).order_by("name").only("name")


@register.simple_tag
def kits_using(sample):
    """The kits with the sample on one of their pads."""
    return Kit.objects.filter(pads__sample=sample).distinct()


@register.inclusion_tag("kits/send_slices.html", takes_context=True)
def send_slices_form(context, loop, slices):
    """ "Send to bank": the user's kits and banks, and the slices in the order they go."""
    user = context["request"].user
    return {
        "loop": loop,
        "slices": slices,
        "kits": Kit.objects.owned_by(user).order_by("name").only("name"),
        "banks": BANKS,
        "pad_numbers": range(1, PADS_PER_BANK + 1),
        "csrf_token": context.get("csrf_token"),
    }

"""Kits where library pages show them: the user's kits to add to, the kits a sample is on."""

from django import template

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

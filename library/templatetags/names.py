"""Long sample names on narrow screens: lines may end after "_", "-" and ".", never mid-word."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

BREAK_AFTER = re.compile(r"([_\-.])")


@register.filter
def soft_breaks(name) -> str:
    """The name, escaped, with a line-break opportunity (<wbr>) after each _ - and ."""
    return mark_safe(BREAK_AFTER.sub(r"\1<wbr>", escape(str(name))))

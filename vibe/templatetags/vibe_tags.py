"""What the sample page's vibe section needs: the description, if any, and whether it can run."""

from django import template
from django.core.exceptions import ObjectDoesNotExist

from vibe.service import NOT_CONFIGURED, is_configured

register = template.Library()


@register.simple_tag
def vibe_panel(sample) -> dict:
    """The sample's vibe (or None), whether vibe analysis is set up, and how to set it up."""
    try:
        vibe = sample.vibe
    except ObjectDoesNotExist:
        vibe = None
    return {"vibe": vibe, "configured": is_configured(), "how_to_enable": NOT_CONFIGURED}

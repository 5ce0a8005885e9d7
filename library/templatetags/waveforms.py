"""Server-drawn SVG waveforms."""

from django import template
from django.utils.html import format_html

from library.waveforms import THUMBNAIL_HEIGHT, THUMBNAIL_WIDTH, merge_buckets, waveform_path

register = template.Library()
SVG = (
    '<svg class="{}" viewBox="0 0 {} {}" preserveAspectRatio="none" aria-hidden="true">'
    '<path d="{}" vector-effect="non-scaling-stroke"/></svg>'
)


@register.simple_tag
def waveform(peaks, width=800, height=80, css_class="waveform", buckets=256):
    """Inline SVG of a waveform drawn from its peaks."""
    path = waveform_path(merge_buckets(peaks or [], buckets), width, height)
    return format_html(SVG, css_class, width, height, path)


@register.simple_tag
def waveform_thumbnail(path):
    """Inline SVG of a precomputed thumbnail path (see library.waveforms)."""
    return format_html(SVG, "waveform", THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT, path or "")

"""Server-drawn SVG waveforms from stored [min, max] peak pairs."""

from django import template
from django.utils.html import format_html

register = template.Library()


def waveform_path(peaks, width: int, height: int) -> str:
    """An SVG path with one vertical stroke per peak bucket."""
    if not peaks:
        return ""
    middle = height / 2
    step = width / len(peaks)
    strokes = []
    for index, (low, high) in enumerate(peaks):
        x = round(index * step + step / 2, 1)
        top = round(middle - max(high, 0.0) * middle, 1)
        bottom = round(middle - min(low, 0.0) * middle, 1)
        if bottom - top < 0.5:
            bottom = top + 0.5
        strokes.append(f"M{x} {top}V{bottom}")
    return "".join(strokes)


@register.simple_tag
def waveform(peaks, width=240, height=40, css_class="waveform"):
    """Inline SVG of a sample's waveform, or an empty placeholder without peaks."""
    return format_html(
        '<svg class="{}" viewBox="0 0 {} {}" preserveAspectRatio="none" aria-hidden="true">'
        '<path d="{}" vector-effect="non-scaling-stroke"/></svg>',
        css_class,
        width,
        height,
        waveform_path(peaks or [], width, height),
    )

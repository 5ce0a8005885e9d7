"""`{% sample_row sample index_url %}`: one row of the library's list, drawn in Python.

The list draws 50 rows on every page, filter and search. As template markup a
row is about sixty nodes, and the 50 rows took 24-27 ms to render, as long as
the page's SQL (100,000 samples on PostgreSQL, measured); format_html() per
cell was no faster (17 ms: its lazy-aware escaping wraps every argument). Built
here with the standard library's escape, the same markup takes 5-6 ms.
"""

from html import escape
from urllib.parse import quote

from django import template
from django.utils.safestring import SafeString, mark_safe

from library import downloads
from library.templatetags.names import BREAK_AFTER
from library.templatetags.pk_urls import pk_url
from library.templatetags.waveforms import SVG
from library.waveforms import THUMBNAIL_HEIGHT, THUMBNAIL_WIDTH

register = template.Library()

POLLED = {"pending", "analyzing"}
NOTHING = "\N{EN DASH}"  # What the list shows for an unknown value.
PLAY = '<td class="col-play"><button type="button" class="play-button" aria-label="Play">▶</button></td>'


@register.simple_tag
def sample_row(sample, index_url: str) -> SafeString:
    """The sample's <tr>: select, play, name with folder and tags, waveform and its labels."""
    pk = int(sample.pk)
    name = escape(sample.name)
    ready = sample.status == "ready"
    polling = (
        f'hx-get="{pk_url("library:sample_row", pk)}" hx-trigger="every 2s" hx-swap="outerHTML"'
        if sample.status in POLLED
        else ""
    )
    similar = (
        f' <a class="similar-link" href="{pk_url("library:similar", pk)}" '
        f'title="Find similar sounds" aria-label="Find samples like {name}">≈</a>'
        if ready
        else ""
    )
    folder = (
        f'<div class="small"><a class="folder-link" href="{escape(index_url)}?folder='
        f'{escape(quote(sample.source_path, safe="/"))}" title="Show this folder">'
        f"{escape(sample.source_path)}</a></div>"
        if sample.source_path
        else ""
    )
    tags = "".join(f'<span class="tag">{escape(tag)}</span>' for tag in sample.tag_names)
    # Without features (analysis undone under the row) the waveform is empty, as before.
    features = getattr(sample, "features", None)
    thumbnail = escape(features.waveform_thumbnail or "") if features is not None else ""
    wave = SVG.format("waveform", THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT, thumbnail) if ready else ""
    breakable = BREAK_AFTER.sub(r"\1<wbr>", name)
    cells = (
        '<td class="col-select"><label class="select-box"><input type="checkbox" name="samples" '
        f'value="{pk}" form="bulk-form" aria-label="Select {name}"></label></td>',
        PLAY,
        f'<td class="col-name"><a href="{pk_url("library:sample_detail", pk)}" title="{name}">'
        f"{breakable}</a>{similar}\n{folder}\n{tags}</td>",
        f'<td class="col-wave"><div class="wave-box">{wave}<span class="playhead" hidden></span></div></td>',
        f"<td>{escape(sample.duration_label)}</td>",
        f"<td>{_tempo(sample)}</td>",
        f"<td>{_note(sample)}</td>",
        f"<td>{_category(sample)}</td>",
        f"<td>{escape(sample.kind_label or NOTHING)}</td>",
        f'<td><span class="status status-{escape(sample.status)}" title="{escape(sample.error)}">'
        f"{escape(sample.status_label)}</span></td>",
    )
    row = "\n".join(cells)
    return mark_safe(
        f'<tr id="sample-{pk}" data-audio-url="{pk_url("library:audio", pk)}" '
        f'data-played-url="{pk_url("library:played", pk)}" {drag_out(sample, pk)} {polling}>'
        f"\n{row}\n</tr>"
    )


def drag_out(sample, pk: int) -> str:
    """The attributes that let a row be dragged out of the browser as a file, and let a
    loop play at another tempo."""
    return f'draggable="true" {download_data(sample, pk)}{tempo_data(sample, pk)}'


def tempo_data(sample, pk: int) -> str:
    """A loop's tempo and where to ask for it at another one (the player stretches loops only)."""
    if sample.kind != "loop" or not sample.tempo_bpm:
        return ""
    stretch = pk_url("library:stretched", pk)
    return f' data-tempo="{float(sample.tempo_bpm):.2f}" data-stretch-url="{stretch}"'


def download_data(sample, pk: int) -> str:
    attributes = downloads.drag_attributes(sample, pk_url("library:download", pk))
    return " ".join(f'{name}="{escape(value)}"' for name, value in attributes.items())


def _tempo(sample) -> str:
    if sample.tempo_is_guess:
        return _guess("tempo", sample.tempo_label, sample.tempo_guess_note)
    return escape(sample.tempo_label or NOTHING)


def _note(sample) -> str:
    if sample.key_is_guess:
        return _guess("key", sample.key_label, sample.key_guess_note)
    if sample.key:
        return escape(sample.key_label)
    if sample.pitch_label:
        return f'<span class="note" title="The note of this one-shot">{escape(sample.pitch_label)}</span>'
    return NOTHING


def _category(sample) -> str:
    if not sample.category_is_guess:
        return escape(sample.category_label or NOTHING)
    return _guess("category", sample.category_label, sample.category_guess_note)


def _guess(what: str, label: str, note: str) -> str:
    """A label the analysis is unsure of: marked with a "?", and said in words for screen readers."""
    return (
        f'<span class="{what}-guess" title="{escape(note)}">{escape(label)}'
        '<span class="guess-mark" aria-hidden="true">?</span></span>'
        f'<span class="visually-hidden"> ({escape(note.lower())})</span>'
    )


@register.simple_tag
def drag_out_attributes(sample) -> SafeString:
    """`{% drag_out_attributes sample %}`: what a pad or a picker row (draggable already,
    to move samples within the page) carries to be dragged out as a file."""
    return mark_safe(download_data(sample, int(sample.pk)) + tempo_data(sample, int(sample.pk)))

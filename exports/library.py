"""What exports add to the library: "Export" on a selection, and each sample's
SP-404MK2-ready file to drag out (with Alt held)."""

import io
from pathlib import Path

from django.shortcuts import redirect
from django.urls import reverse

from exports.options import DEFAULT_OPTIONS
from exports.runner import slice_of
from exports.sp404 import ConversionError, convert, safe_stem
from library import bulk, downloads


@bulk.register("export", "Export")
def export_selection(request, samples, ids):
    return redirect(f"{reverse('exports:new')}?samples={','.join(map(str, ids))}")


def ready_file_name(sample) -> str:
    """The name the unit will show: safe ASCII, at most 23 characters, the default format."""
    return f"{safe_stem(sample.name)}.{DEFAULT_OPTIONS.extension}"


@downloads.register("sp404", ready_file_name)
def ready_file(sample) -> bytes:
    """The sample converted as an export converts it (48 kHz / 16-bit WAV by default)."""
    output = io.BytesIO()
    try:
        convert(Path(sample.file.path), output, DEFAULT_OPTIONS, **slice_of(sample))
    except ConversionError as error:
        raise downloads.Unavailable(str(error)) from error
    return output.getvalue()

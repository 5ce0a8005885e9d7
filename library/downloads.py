"""Samples as files to take away (dragged out to the desktop or a DAW): the original
file, and versions other apps make, such as the SP-404MK2-ready one.

Exports adds its version when it starts, so the library offers it without
knowing how a file is converted. A version gives the file name it is dragged
out as and renders the file's bytes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from library.audio import CONTENT_TYPES
from library.models import Sample


class Unavailable(Exception):
    """A version that cannot be made of this sample; the message says why."""


@dataclass(frozen=True)
class Version:
    name: str
    file_name: Callable[[Sample], str]
    render: Callable[[Sample], bytes]
    content_type: str = "audio/wav"


VERSIONS: dict[str, Version] = {}


def register(name: str, file_name: Callable[[Sample], str], content_type: str = "audio/wav"):
    """Decorate a function rendering a sample's bytes to offer it as a version to drag out."""

    def add(render):
        VERSIONS[name] = Version(name, file_name, render, content_type)
        return render

    return add


def original_name(sample: Sample) -> str:
    """The name the original is taken away under: the imported file's, or a slice's own."""
    if sample.parent_id is not None:
        return f"{sample.name}.wav"  # A slice is rendered from its loop's frames as WAV.
    return sample.original_filename or Path(sample.file.name).name


def original_type(sample: Sample) -> str:
    fmt = "wav" if sample.parent_id is not None else sample.format
    return CONTENT_TYPES.get(fmt, "application/octet-stream")


def drag_attributes(sample: Sample, url: str) -> dict[str, str]:
    """What a dragged row or pad carries: the original's URL, name and type, and each
    version's name (the version's URL is the original's with ``?version=NAME``)."""
    attributes = {
        "data-download-url": url,
        "data-download-name": original_name(sample),
        "data-download-type": original_type(sample),
    }
    for version in VERSIONS.values():
        attributes[f"data-{version.name}-name"] = version.file_name(sample)
    return attributes

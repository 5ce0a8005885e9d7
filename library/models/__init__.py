"""The library's models: samples, what is known about them, their tags and duplicate scans."""

from library.models.duplicates import DuplicateScan
from library.models.samples import AudioFeatures, Sample, SampleTag, Tag

__all__ = ["AudioFeatures", "DuplicateScan", "Sample", "SampleTag", "Tag"]

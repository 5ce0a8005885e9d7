"""The library's models: samples and what is known about them, imports, costs."""

from library.models.batches import Batch, BatchItem
from library.models.duplicates import DuplicateScan
from library.models.preferences import ApiUsage, ModelPrice, UserPreference
from library.models.samples import AudioFeatures, Sample, SampleTag, Tag
from library.models.vibe import VibeAnalysis

__all__ = [
    "ApiUsage",
    "AudioFeatures",
    "Batch",
    "BatchItem",
    "DuplicateScan",
    "ModelPrice",
    "Sample",
    "SampleTag",
    "Tag",
    "UserPreference",
    "VibeAnalysis",
]

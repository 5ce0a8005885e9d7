"""Waveform drawing: [min, max] peak pairs turned into compact SVG paths."""

THUMBNAIL_WIDTH = 240
THUMBNAIL_HEIGHT = 40
THUMBNAIL_BUCKETS = 80


def merge_buckets(peaks, buckets: int) -> list[tuple[float, float]]:
    """Fewer, wider [min, max] buckets: a 240 px thumbnail needs no 256 strokes."""
    if len(peaks) <= buckets:
        return [(low, high) for low, high in peaks]
    size = len(peaks) / buckets
    merged = []
    for index in range(buckets):
        chunk = peaks[int(index * size) : int((index + 1) * size)] or peaks[-1:]
        merged.append((min(low for low, _ in chunk), max(high for _, high in chunk)))
    return merged


def waveform_path(peaks, width: int, height: int) -> str:
    """An SVG path with one vertical stroke per peak bucket."""
    if not peaks:
        return ""
    middle = height / 2
    step = width / len(peaks)
    strokes = []
    for index, (low, high) in enumerate(peaks):
        top = middle - max(high, 0.0) * middle
        bottom = max(middle - min(low, 0.0) * middle, top + 0.5)
        strokes.append(f"M{index * step + step / 2:.1f} {top:.1f}V{bottom:.1f}")
    return "".join(strokes)


def thumbnail_path(peaks) -> str:
    """The list's small waveform, computed once when a sample is analysed."""
    return waveform_path(
        merge_buckets(peaks or [], THUMBNAIL_BUCKETS), THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT
    )

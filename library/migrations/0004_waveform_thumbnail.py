"""The list's small waveform, drawn once per sample and stored as an SVG path.

The drawing code is this migration's own copy, as the app had it then.
"""

from django.db import migrations, models

THUMBNAIL_WIDTH = 240
THUMBNAIL_HEIGHT = 40
THUMBNAIL_BUCKETS = 80


def merge_buckets(peaks, buckets):
    if len(peaks) <= buckets:
        return [(low, high) for low, high in peaks]
    size = len(peaks) / buckets
    merged = []
    for index in range(buckets):
        chunk = peaks[int(index * size) : int((index + 1) * size)] or peaks[-1:]
        merged.append((min(low for low, _ in chunk), max(high for _, high in chunk)))
    return merged


def waveform_path(peaks, width, height):
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


def thumbnail_path(peaks):
    return waveform_path(
        merge_buckets(peaks or [], THUMBNAIL_BUCKETS), THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT
    )


def draw_thumbnails(apps, schema_editor):
    AudioFeatures = apps.get_model("library", "AudioFeatures")
    for features in AudioFeatures.objects.only("pk", "waveform_peaks").iterator():
        features.waveform_thumbnail = thumbnail_path(features.waveform_peaks)
        features.save(update_fields=["waveform_thumbnail"])


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0003_schedules"),
    ]

    operations = [
        migrations.AddField(
            model_name="audiofeatures",
            name="waveform_thumbnail",
            field=models.TextField(blank=True, help_text="SVG path for the list."),
        ),
        migrations.RunPython(draw_thumbnails, migrations.RunPython.noop),
    ]

"""Analyse audio files without touching the database."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

# These keys are a stable interface for scripts; add to them, never rename.
STABLE_KEYS = (
    "path", "duration", "sample_rate", "channels", "bit_depth", "bpm", "bpm_confidence",
    "key", "scale", "key_confidence", "kind", "category", "category_confidence", "error",
)  # fmt: skip


def analysis_line(path: Path) -> dict:
    from library.analysis import AnalysisError, analyze

    line = dict.fromkeys(STABLE_KEYS)
    line["path"] = str(path)
    try:
        result = analyze(
            path,
            name_hint=path.name,
            folder_hint=path.parent.name,
            tempo_range=(settings.TEMPO_MIN_BPM, settings.TEMPO_MAX_BPM),
        )
    except (AnalysisError, OSError) as error:
        line["error"] = str(error)
        return line
    measured = result.to_dict()
    for key in STABLE_KEYS[1:-1]:
        line[key] = measured.get(key)
    for extra in ("onset_rate", "loudness_lufs", "peak_db", "rms_db", "kind_confidence"):
        line[extra] = measured.get(extra)
    return line


class Command(BaseCommand):
    help = "Analyse audio files and print the results; the database is not used."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--json", action="store_true", help="One JSON object per line.")

    def handle(self, *args, paths, **options):
        for path in paths:
            line = analysis_line(path)
            if options["json"]:
                self.stdout.write(json.dumps(line))
            elif line["error"]:
                self.stdout.write(f"{path}: {line['error']}")
            else:
                tempo = f"{line['bpm']:.1f} BPM" if line["bpm"] else "no tempo"
                key = f"{line['key']} {line['scale']}" if line["key"] else "no key"
                self.stdout.write(
                    f"{path}: {line['kind']}, {line['category']}, {tempo}, {key}, "
                    f"{line['duration']:.2f} s"
                )

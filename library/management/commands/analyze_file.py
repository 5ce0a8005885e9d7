"""Analyse audio files without touching the database."""

import json
import logging
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from library.analysis import AnalysisError, analyze
from library.analysis.core import plain

logger = logging.getLogger(__name__)

# These keys are a stable interface for scripts; add to them, never rename.
STABLE_KEYS = (
    "path", "duration", "sample_rate", "channels", "bit_depth", "bpm", "bpm_confidence",
    "key", "scale", "key_confidence", "kind", "category", "category_confidence", "error",
)  # fmt: skip
EXTRA_KEYS = (
    "onset_rate", "loudness_lufs", "peak_db", "rms_db", "kind_confidence", "pitch", "pitch_cents",
)  # fmt: skip


def failure_message(error: Exception, path: Path) -> str:
    """What went wrong with one file, in words for the person who gave it."""
    if isinstance(error, AnalysisError):
        return str(error)
    # Only an error about this very file is the file's fault; any other (a
    # missing model file, say) is the app's.
    if isinstance(error, OSError) and error.filename in (str(path), path):
        return f"The file could not be read: {error.strerror or error}."
    # The same words the background analysis records on a sample.
    return f"Analysis stopped with an internal error: {str(error) or type(error).__name__}"


def analysis_line(path: Path) -> dict:
    """One output line for a file: its measurements, or its error; never raises."""
    line = dict.fromkeys(STABLE_KEYS)
    line["path"] = str(path)
    try:
        measured = analyze(
            path,
            name_hint=path.name,
            folder_hint=path.parent.name,
            tempo_range=(settings.TEMPO_MIN_BPM, settings.TEMPO_MAX_BPM),
        ).to_dict()
    except Exception as error:  # One bad file must not end a run over a whole folder.
        logger.debug("Analysis of %s failed", path, exc_info=True)
        line["error"] = failure_message(error, path)
        return line
    for key in (*STABLE_KEYS[1:-1], *EXTRA_KEYS):
        line[key] = plain(measured.get(key))
    return line


class Command(BaseCommand):
    help = (
        "Analyse audio files and print the results; the database is not used. "
        "A file that cannot be analysed gets an error line (in JSON, its 'error' key) "
        "and the run goes on with the next file; the exit status is 0 even then, "
        "so look for errors in the output."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--json", action="store_true", help="One JSON object per line.")

    def handle(self, *args, paths, **options):
        for path in paths:
            line = analysis_line(path)
            if options["json"]:
                self.stdout.write(json.dumps(line, allow_nan=False))
            elif line["error"]:
                self.stdout.write(f"{path}: {line['error']}")
            else:
                self.stdout.write(f"{path}: {summary(line)}")


def summary(line: dict) -> str:
    """ "loop, drum_loop, 100.0 BPM, no key, 4.80 s"; a pitched one-shot shows its note."""
    tempo = f"{line['bpm']:.1f} BPM" if line["bpm"] else "no tempo"
    key = f"{line['key']} {line['scale']}" if line["key"] else "no key"
    if line.get("pitch"):
        key = f"note {line['pitch']} {line['pitch_cents']:+d} cents"
    duration = f"{line['duration']:.2f} s" if line["duration"] is not None else "unknown length"
    return f"{line['kind']}, {line['category']}, {tempo}, {key}, {duration}"

"""Show what an SP-404MK2 project holds: its tempo and name, and every pad that has a sample."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exports.sp404_project import (
    SMP_HEADER_SIZE,
    ProjectFormatError,
    filled_pads,
    pad_summary,
    project_summary,
    read_padconf,
    read_smp_header,
    smp_name,
)

STEREO = 2


class Command(BaseCommand):
    help = (
        "Print an SP-404MK2 project: PATH is a project folder (PADCONF.BIN and SMPL/) or a "
        "bare PADCONF.BIN (frames then assume stereo). With --json: one JSON object per "
        "line, the project first, then each pad that holds a sample."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="JSON lines instead of a table."
        )

    def handle(self, *args, path: Path, as_json: bool, **options):
        folder = path if path.is_dir() else None
        padconf = path / "PADCONF.BIN" if folder else path
        try:
            project = read_padconf(padconf.read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {padconf}: {error.strerror}.") from None
        except ProjectFormatError as error:
            raise CommandError(f"{padconf}: {error}") from None
        pads = [
            pad_summary(pad, bank, number, self.channels(folder, bank, number))
            for bank, number, pad in filled_pads(project)
        ]
        if as_json:
            self.write_json(project_summary(project), pads)
        else:
            self.write_table(project_summary(project), pads)

    def channels(self, folder: Path | None, bank: str, number: int) -> int:
        """The pad's .SMP channel count; stereo, with a warning, when there is none to read."""
        if folder is None:
            return STEREO
        smp = folder / "SMPL" / smp_name(bank, number)
        try:
            with smp.open("rb") as audio:
                return read_smp_header(audio.read(SMP_HEADER_SIZE)).channels
        except (OSError, ProjectFormatError) as error:
            reason = getattr(error, "strerror", None) or error
            self.stderr.write(f"{smp}: {reason}; its frames are counted as stereo.")
            return STEREO

    def write_json(self, project: dict, pads: list[dict]) -> None:
        for record in (project, *pads):
            self.stdout.write(json.dumps(record, ensure_ascii=True))

    def write_table(self, project: dict, pads: list[dict]) -> None:
        tempo = (
            f"project tempo {project['project_bpm']:g} BPM"
            if project["tempo_mode"] == "project"
            else "bank tempos " + " ".join(f"{bpm:g}" for bpm in project["bank_bpm"])
        )
        self.stdout.write(
            f"{project['name'] or '(no name)'}: {tempo}; {len(pads)} pads hold samples"
        )
        for pad in pads:
            flags = [name for name in ("gate", "loop", "reverse", "bpm_sync") if pad[name]]
            marks = f", {len(pad['marks'])} chop marks" if pad["marks"] else ""
            self.stdout.write(
                f"  {pad['bank']}{pad['pad']:<3} {pad['name'] or '-':<23} "
                f"frames {pad['start_frame']}-{pad['end_frame']}, volume {pad['volume']}, "
                f"pitch {pad['pitch']:+d}, {pad['bpm']:g} BPM"
                f"{', ' + ', '.join(flags) if flags else ''}{marks}"
            )

"""Background work of the site itself."""

from pathlib import Path

from django.conf import settings

from core import integrity, statistics
from core.backup import BackupError, create_backup, verify
from core.models import BackupRecord, IntegrityReport


def heartbeat() -> None:
    """Do nothing: `serve` queues this and watches for its result to know the queue moves."""


def daily_backup() -> int:
    """Back up into BACKUP_ROOT and verify it; the outcome is recorded as a BackupRecord."""
    record = BackupRecord.start(Path(settings.BACKUP_ROOT))
    try:
        result = create_backup(Path(settings.BACKUP_ROOT))
    except (BackupError, OSError) as error:
        record.fail(str(error))
        raise
    record.finish(result, verify(result.folder))
    return record.pk


def weekly_integrity_check() -> int:
    """Run every integrity check without repairing anything; staff see what it found."""
    problems = integrity.run()
    lines = [f"{problem.check}: {problem.message}" for problem in problems]
    return IntegrityReport.objects.create(problems=len(problems), report="\n".join(lines)).pk


def refresh_planner_statistics() -> None:
    """Gather the query planner's statistics (once a day)."""
    statistics.refresh()


def refresh_stale_planner_statistics() -> bool:
    """After an import: gather the statistics if the library's size has moved a tenth."""
    return statistics.refresh_if_stale()

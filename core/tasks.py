"""Background work of the site itself."""

from pathlib import Path

from django.conf import settings

from core.backup import BackupError, create_backup, verify
from core.models import BackupRecord


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

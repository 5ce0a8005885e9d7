"""Temporary files live in the data directory, and what stopped work leaves there is removed."""

import os
from pathlib import Path

import pytest
from django.utils import timezone

from imports.models import Batch
from imports.sources import import_paths
from library.models import Sample
from library.storage import remove_leftovers
from sp404site import settings as configured

pytestmark = pytest.mark.django_db


def test_temporary_files_stay_in_the_data_directory():
    for folder in (configured.FILE_UPLOAD_TEMP_DIR, configured.SCRATCH_ROOT):
        assert Path(folder).is_relative_to(configured.DATA_DIR)


def test_leftovers_of_stopped_work_are_removed_and_nothing_else(user, make_wav, settings):
    kept = Path(
        Sample.objects.get(
            pk=import_paths(
                Batch.objects.start(user, source="folder", name="t"), [make_wav("kick.wav")]
            )
            .items.get()
            .sample_id
        ).file.path
    )
    half_copied = kept.parent / ".incoming-abc123"
    killed_upload = Path(settings.FILE_UPLOAD_TEMP_DIR) / "tmpx1y2.upload.wav"
    unpacking = Path(settings.SCRATCH_ROOT) / "tmpq9" / "member.wav"
    running_now = Path(settings.SCRATCH_ROOT) / "tmpz7" / "download"
    hours_ago = timezone.now().timestamp() - 7200
    for path in (half_copied, killed_upload, unpacking, running_now):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 1000)
    for path in (half_copied, killed_upload, unpacking, unpacking.parent):
        os.utime(path, (hours_ago, hours_ago))

    assert remove_leftovers() == 3

    assert kept.exists() and running_now.exists()
    assert not half_copied.exists() and not killed_upload.exists() and not unpacking.parent.exists()

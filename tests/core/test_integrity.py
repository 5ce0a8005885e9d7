"""check_integrity finds what no longer holds together, and --fix repairs only what is safe."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from exports.models import Export
from imports.importing import import_file
from imports.models import Batch
from library.models import Sample
from tests import audiogen
from tests.files import write_audio

pytestmark = pytest.mark.django_db


def check(*options) -> tuple[str, bool]:
    out = StringIO()
    try:
        call_command("check_integrity", *options, stdout=out)
    except CommandError as complaint:
        return out.getvalue() + str(complaint), False
    return out.getvalue(), True


def imported(user, tmp_path, name, make):
    return import_file(user, write_audio(tmp_path / name, make()), name).sample


def test_a_healthy_library_passes(user, tmp_path):
    imported(user, tmp_path, "kick.wav", audiogen.kick)

    report, healthy = check()

    assert healthy, report
    assert "0 problems" in report


def test_damage_is_named_and_only_safe_repairs_are_made(user, tmp_path):
    kick = imported(user, tmp_path, "kick.wav", audiogen.kick)
    snare = imported(user, tmp_path, "snare.wav", audiogen.snare)
    hat = imported(user, tmp_path, "hat.wav", audiogen.closed_hat)
    media = Path(settings.MEDIA_ROOT)
    (media / kick.file.name).unlink()  # Lost.
    damaged = media / snare.file.name
    damaged.write_bytes(damaged.read_bytes()[:-10] + b"0123456789")  # Changed on disk.
    stray = media / "audio" / "ab" / ("ab" * 32 + ".wav")
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"RIFF")
    batch = Batch.objects.start(user, source="upload", name="closed tab", total_files=2)
    Batch.objects.filter(pk=batch.pk).update(started_at=timezone.now() - timedelta(hours=3))
    gone = Export.objects.create(
        owner=user, name="e", source="selection", status="completed", output_path="/nowhere/1-e.zip"
    )

    report, healthy = check()

    assert not healthy
    assert f"Sample {kick.pk} (kick) has lost its audio file" in report
    assert f"{snare.file.name} no longer holds the audio" in report
    assert f"{stray.relative_to(media).as_posix()} belongs to no sample" in report
    assert f"Import {batch.pk} (closed tab) stopped without closing" in report
    assert f"Export {gone.pk} (e) offers a ZIP that is gone" in report
    assert f"{hat.file.name}" not in report

    report, healthy = check("--fix")

    assert not healthy, "a lost or damaged file needs a person (and a backup)"
    assert not stray.exists() and (Path(settings.DATA_DIR) / "strays" / "audio" / "ab").exists()
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.FAILED
    assert Export.objects.get(pk=gone.pk).output_path == ""
    assert damaged.exists() and Sample.objects.filter(pk=kick.pk).exists(), "nothing deleted"
    report, _ = check()
    assert "belongs to no sample" not in report and "stopped without closing" not in report

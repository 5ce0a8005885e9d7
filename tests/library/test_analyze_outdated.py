"""`manage.py analyze --outdated`: samples measured by an older analysis are measured again."""

import importlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from imports.models import Batch
from imports.sources import import_paths
from library.analysis import ANALYSIS_VERSION
from library.models import Sample
from library.tasks import analyze_sample
from tests import audiogen
from tests.files import write_audio

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_tasks(monkeypatch):
    """Run what is handed to django-q2 inline, as the worker would."""

    def run(path, *args, **kwargs):
        module_name, function_name = path.rsplit(".", 1)
        return getattr(importlib.import_module(module_name), function_name)(*args)

    monkeypatch.setattr("library.tasks.async_task", run)


def queue_outdated() -> str:
    out = StringIO()
    call_command("analyze", "--outdated", stdout=out)
    return out.getvalue()


def test_outdated_queues_live_ready_samples_from_an_older_analysis_or_without_features(
    user, make_sample, make_features, django_capture_on_commit_callbacks
):
    older = make_sample(user, status="ready")
    make_features(older, analysis_version=ANALYSIS_VERSION - 1)
    current = make_sample(user, status="ready")
    make_features(current, analysis_version=ANALYSIS_VERSION)
    trashed = make_sample(user, status="ready", deleted_at=timezone.now())
    make_features(trashed, analysis_version=ANALYSIS_VERSION - 1)
    failed = make_sample(user, status="failed", error="The file is empty.")
    without_features = make_sample(user, status="ready")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        output = queue_outdated()

    assert "Queued 2 samples" in output
    assert len(callbacks) == 1
    pending = set(Sample.objects.filter(status="pending").values_list("pk", flat=True))
    assert pending == {older.pk, without_features.pk}
    for untouched in (current, trashed, failed):
        untouched.refresh_from_db()
        assert untouched.status != "pending"


def test_outdated_cannot_be_combined_with_another_choice():
    with pytest.raises(CommandError):
        call_command("analyze", "--outdated", "--all")


def test_analysis_records_the_version_that_measured_it(user, tmp_path, monkeypatch):
    monkeypatch.setattr("library.analysis.ANALYSIS_VERSION", ANALYSIS_VERSION + 5)
    path = write_audio(tmp_path / "Drums" / "kick.wav", audiogen.kick())
    sample = import_one(user, path)

    analyze_sample(sample.pk)

    sample.refresh_from_db()
    assert sample.features.analysis_version == ANALYSIS_VERSION + 5


def import_one(owner, path: Path) -> Sample:
    batch = Batch.objects.start(owner, source=Batch.Source.FOLDER, name="t")
    import_paths(batch, [path])
    return Sample.objects.get(owner=owner)


def test_a_new_analysis_version_remeasures_but_keeps_what_the_user_set(
    user, tmp_path, monkeypatch, run_tasks, django_capture_on_commit_callbacks
):
    path = write_audio(tmp_path / "Drums" / "Kicks" / "kick.wav", audiogen.kick())
    sample = import_one(user, path)
    analyze_sample(sample.pk)
    sample.refresh_from_db()
    assert sample.features.analysis_version == ANALYSIS_VERSION
    sample.save(update_fields=sample.set_by_user(category="snare", tempo_bpm=93.0))
    measured_at = sample.analyzed_at

    # The app is updated to a newer analysis.
    monkeypatch.setattr("library.analysis.ANALYSIS_VERSION", ANALYSIS_VERSION + 1)
    with django_capture_on_commit_callbacks(execute=True):
        output = queue_outdated()

    assert "Queued 1 sample " in output
    sample.refresh_from_db()
    assert sample.status == Sample.Status.READY
    assert sample.analyzed_at > measured_at
    assert sample.features.analysis_version == ANALYSIS_VERSION + 1
    assert sample.features.category == "kick"  # what the analysis heard
    assert (sample.category, sample.tempo_bpm) == ("snare", 93.0)
    assert sample.category_set_by_user and sample.tempo_set_by_user
    # Now it is current: nothing more to do.
    assert "Queued 0 samples" in queue_outdated()

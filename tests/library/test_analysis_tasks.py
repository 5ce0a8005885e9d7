"""Analysis in the background: results stored once, failures recorded, user values kept."""

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.signals import post_spawn
from threadpoolctl import threadpool_info, threadpool_limits

from imports.models import Batch
from imports.sources import import_paths
from library.models import AudioFeatures, Sample
from library.tasks import analyze_sample, analyze_samples, requeue_analysis
from tests import audiogen
from tests.files import write_audio

pytestmark = pytest.mark.django_db


def import_files(owner, *paths) -> list[Sample]:
    batch = Batch.objects.start(owner, source=Batch.Source.FOLDER, name="t")
    import_paths(batch, [Path(path) for path in paths])
    return list(Sample.objects.order_by("id"))


@pytest.fixture
def loop_file(tmp_path):
    return write_audio(tmp_path / "Loops" / "beat.wav", audiogen.drum_loop(100, 2))


@pytest.fixture
def kick_file(tmp_path):
    return write_audio(tmp_path / "Drums" / "Kicks" / "s1.wav", audiogen.kick())


def test_analysis_stores_features_and_fills_the_sample(user, loop_file):
    (sample,) = import_files(user, loop_file)
    assert analyze_sample(sample.pk) == Sample.Status.READY
    sample.refresh_from_db()
    assert sample.status == Sample.Status.READY
    assert sample.analyzed_at is not None
    assert sample.kind == Sample.Kind.LOOP
    assert sample.tempo_bpm == pytest.approx(100, abs=0.5)
    features = sample.features
    assert len(features.mfcc) == 13
    vector = np.frombuffer(features.feature_vector, dtype=np.float32)
    assert vector.size > 13
    assert np.all(np.isfinite(vector))
    assert features.waveform_peaks
    assert 0 < features.peak <= 1


def test_one_shots_get_no_tempo(user, kick_file):
    (sample,) = import_files(user, kick_file)
    analyze_sample(sample.pk)
    sample.refresh_from_db()
    assert sample.kind == Sample.Kind.ONE_SHOT
    assert sample.tempo_bpm is None
    assert sample.category == "kick"


def test_repeated_delivery_keeps_exactly_one_features_row(user, loop_file):
    (sample,) = import_files(user, loop_file)
    analyze_samples([sample.pk, sample.pk])
    # A delivery that died mid-analysis left the sample "analyzing": it runs again.
    Sample.objects.filter(pk=sample.pk).update(status=Sample.Status.ANALYZING)
    assert analyze_sample(sample.pk) == Sample.Status.READY
    assert AudioFeatures.objects.filter(sample=sample).count() == 1


def test_reanalysis_keeps_what_the_user_set_by_hand(user, loop_file):
    (sample,) = import_files(user, loop_file)
    analyze_sample(sample.pk)
    sample.refresh_from_db()
    sample.set_by_user(tempo_bpm=50.0, key="F#", scale="minor", category="vocal_loop", genre="jazz")
    sample.save()
    requeue_analysis(Sample.objects.filter(pk=sample.pk))
    analyze_sample(sample.pk)
    sample.refresh_from_db()
    assert (sample.tempo_bpm, sample.key, sample.scale) == (50.0, "F#", "minor")
    assert (sample.category, sample.genre) == ("vocal_loop", "jazz")
    assert sample.kind == Sample.Kind.LOOP  # not set by hand, so measured again


def test_a_file_that_fails_analysis_is_marked_failed_with_the_reason(user, loop_file):
    (sample,) = import_files(user, loop_file)
    Path(sample.file.path).write_bytes(b"corrupted after import")
    assert analyze_sample(sample.pk) == Sample.Status.FAILED
    sample.refresh_from_db()
    assert sample.status == Sample.Status.FAILED
    assert sample.error
    assert not AudioFeatures.objects.filter(sample=sample).exists()


def test_analyze_command_requeues_failed_samples(
    user, make_sample, django_capture_on_commit_callbacks
):
    make_sample(user, status="failed", error="x")
    make_sample(user, status="ready")
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command("analyze", "--failed", stdout=out)
    assert "Queued 1 sample" in out.getvalue()
    assert len(callbacks) == 1
    assert Sample.objects.filter(status="pending").count() == 1


def test_import_command_prints_a_summary(user, tmp_path, loop_file, kick_file):
    (tmp_path / "Loops" / "bad.wav").write_text("no audio here")
    out = StringIO()
    call_command(
        "import_samples",
        str(tmp_path / "Loops"),
        str(tmp_path / "Drums"),
        "--user",
        "alice",
        stdout=out,
    )
    text = out.getvalue()
    assert "2 imported, 0 duplicates, 0 restored from the trash, 1 failed." in text
    assert "bad.wav" in text


def test_analyze_file_prints_stable_json_without_a_database(loop_file, tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"nope")
    out = StringIO()
    call_command("analyze_file", str(loop_file), str(broken), "--json", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    expected_keys = {
        "path", "duration", "sample_rate", "channels", "bit_depth", "bpm", "bpm_confidence",
        "key", "scale", "key_confidence", "kind", "category", "category_confidence", "error",
    }  # fmt: skip
    assert expected_keys <= set(lines[0])
    assert lines[0]["error"] is None
    assert lines[0]["kind"] == "loop"
    assert lines[0]["bpm"] == pytest.approx(100, abs=0.5)
    assert lines[1]["error"]
    assert lines[1]["bpm"] is None


@pytest.mark.parametrize("automatic", [True, False])
def test_samples_left_waiting_are_queued_again(
    user, make_sample, monkeypatch, django_capture_on_commit_callbacks, automatic
):
    from core.models import SitePreferences
    from library.tasks import requeue_stranded

    preferences = SitePreferences.load()
    preferences.auto_extract_features = automatic
    preferences.save()
    long_ago = timezone.now() - timedelta(hours=2)
    fresh = make_sample(user, status="pending")
    stored_before_a_crash = make_sample(user, status="pending")
    claimed_by_a_dead_worker = make_sample(user, status="analyzing")
    done = make_sample(user, status="ready")
    Sample.objects.exclude(pk=fresh.pk).update(updated_at=long_ago)
    queued = []
    monkeypatch.setattr("library.tasks.async_task", lambda path, ids, **options: queued.extend(ids))

    with django_capture_on_commit_callbacks(execute=True):
        requeue_stranded()

    expected = {claimed_by_a_dead_worker.pk} | ({stored_before_a_crash.pk} if automatic else set())
    assert set(queued) == expected
    assert fresh.pk not in queued and done.pk not in queued
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stranded() == 0, "queued again means waiting afresh"


def test_a_starting_worker_warms_the_analysis_up_and_keeps_blas_to_one_thread(monkeypatch):
    warmed = []
    monkeypatch.setattr("library.analysis.warm.warm_up", lambda: warmed.append(True))
    # Two threads to begin with, as on a two-core machine, whatever this one has.
    with threadpool_limits(limits=2, user_api="blas"):
        post_spawn.send(sender="django_q", proc_name="Process-1")
        blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert warmed == [True]
    assert blas and set(blas) == {1}


def test_a_sample_that_fails_analysis_fails_alone_among_its_task(user, loop_file, kick_file):
    loop, kick = import_files(user, loop_file, kick_file)
    Path(loop.file.path).write_bytes(b"corrupted after import")
    analyze_samples([loop.pk, kick.pk])
    statuses = dict(Sample.objects.values_list("pk", "status"))
    assert statuses == {loop.pk: Sample.Status.FAILED, kick.pk: Sample.Status.READY}
    assert AudioFeatures.objects.filter(sample=kick).exists()


def test_reanalysis_keeps_the_tags_in_what_search_matches(user, kick_file):
    (sample,) = import_files(user, kick_file)
    sample.add_tag("dusty")
    requeue_analysis(Sample.objects.filter(pk=sample.pk))
    analyze_samples([sample.pk])
    sample.refresh_from_db()
    assert sample.status == Sample.Status.READY
    assert "dusty" in sample.search_text.split()
    assert "kick" in sample.search_text.split()  # the category measured, in words


def test_a_task_of_many_samples_saves_them_in_few_queries(
    user, make_wav, django_assert_max_num_queries
):
    samples = import_files(user, *(make_wav(f"{index}.wav") for index in range(16)))
    # One by one, that was about ten queries a sample.
    with django_assert_max_num_queries(60):
        analyze_samples([sample.pk for sample in samples])
    assert set(Sample.objects.values_list("status", flat=True)) == {Sample.Status.READY}

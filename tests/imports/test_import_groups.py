"""A folder's files are imported together: stored durably first, then written in one transaction."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from imports import importing
from imports.importing import import_file
from imports.models import Batch, BatchItem
from imports.sources import import_paths
from library import storage
from library.models import Sample
from tests.files import wav_bytes, zip_bytes
from tests.imports.test_importing import folder_import, item, stored_files

pytestmark = pytest.mark.django_db


def test_stored_files_are_made_durable_before_any_of_their_rows_exists(user, make_wav, monkeypatch):
    folder = make_wav("a.wav").parent
    for name in ("b.wav", "c.wav"):
        make_wav(name)
    calls = []

    def durable(names):
        calls.append((sorted(names), Sample.objects.count()))
        storage.make_durable(names)

    monkeypatch.setattr(importing, "make_durable", durable)
    folder_import(user, folder)

    stored = sorted(Sample.objects.values_list("file", flat=True))
    assert calls == [(stored, 0)]


def test_a_folder_of_many_files_is_written_in_a_few_queries(
    user, make_wav, django_assert_max_num_queries
):
    for index in range(30):
        make_wav(f"{index}.wav")
    batch = Batch.objects.start(user, source=Batch.Source.FOLDER, name="many")
    # One by one, that was six queries a file.
    with django_assert_max_num_queries(20):
        import_paths(batch, [make_wav("last.wav").parent])
    assert batch.imported_count == 31


def test_a_zip_of_many_files_is_written_in_a_few_queries(
    user, tmp_path, django_assert_max_num_queries
):
    members = {f"Pack/{index}.wav": wav_bytes(0.2, 300 + 10 * index) for index in range(30)}
    (tmp_path / "pack.zip").write_bytes(zip_bytes(members))
    batch = Batch.objects.start(user, source=Batch.Source.FOLDER, name="zip")
    with django_assert_max_num_queries(20):
        import_paths(batch, [tmp_path / "pack.zip"])
    assert batch.imported_count == 30


def test_content_stored_meanwhile_by_another_request_is_a_duplicate_and_the_rest_imports(
    user, make_wav, monkeypatch, tmp_path
):
    folder = make_wav("a.wav").parent
    make_wav("b.wav")
    raced = tmp_path / "elsewhere" / "b.wav"
    raced.parent.mkdir()
    raced.write_bytes((folder / "b.wav").read_bytes())
    real = importing.make_durable

    def durable_while_another_request_imports_b(names):
        monkeypatch.setattr(importing, "make_durable", real)
        assert import_file(user, raced, "elsewhere/b.wav").status == BatchItem.Status.IMPORTED
        real(names)

    monkeypatch.setattr(importing, "make_durable", durable_while_another_request_imports_b)
    batch = folder_import(user, folder)

    assert (batch.imported_count, batch.duplicate_count, batch.failed_count) == (1, 1, 0)
    assert "Already in your library" in item(batch, "b.wav").error
    assert sorted(Sample.objects.values_list("original_filename", flat=True)) == ["a.wav", "b.wav"]
    assert len(stored_files()) == 2


def test_a_stored_file_a_crash_left_short_is_copied_again(user, make_wav):
    path = make_wav()
    sample = import_file(user, path, "tone.wav").sample
    stored = Path(sample.file.path)
    # Power lost before the copy reached the disk: the name is there, its bytes are not.
    Sample.objects.all().delete()
    stored.write_bytes(b"")

    again = import_file(user, path, "tone.wav").sample

    assert again.file.name == sample.file.name
    assert stored.read_bytes() == path.read_bytes()


def test_without_syncfs_each_file_and_the_folders_holding_it_are_synced(make_wav, monkeypatch):
    name = "audio/ab/abcdef.wav"
    root = Path(settings.MEDIA_ROOT)
    (root / name).parent.mkdir(parents=True)
    (root / name).write_bytes(make_wav().read_bytes())
    synced = []
    real_fsync = os.fsync

    def fsync(descriptor):
        synced.append(os.fstat(descriptor).st_ino)
        real_fsync(descriptor)

    monkeypatch.setattr(storage, "_syncfs", None)
    monkeypatch.setattr(os, "fsync", fsync)
    storage.make_durable([name])

    expected = [root / name, root / "audio" / "ab", root / "audio", root]
    assert sorted(synced) == sorted(path.stat().st_ino for path in expected)


def test_checking_a_file_loads_only_the_decoder_of_the_analysis_engine(make_wav):
    """The engine's import (librosa, numba) would cost an import command 1.4 s."""
    check = (
        "import sys; from library.analysis import probe; "
        f"probe({str(make_wav())!r}); print('librosa' in sys.modules)"
    )
    found = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert found.stdout.strip() == "False"


def test_a_group_of_files_takes_one_syncfs_and_a_single_file_its_own_fsyncs(make_wav, monkeypatch):
    root = Path(settings.MEDIA_ROOT)
    names = [f"audio/0{index}/{index}.wav" for index in range(8)]
    for name in names:
        (root / name).parent.mkdir(parents=True)
        (root / name).write_bytes(make_wav().read_bytes())
    syncfs_calls, fsync_calls = [], []
    monkeypatch.setattr(storage, "_syncfs", lambda descriptor: syncfs_calls.append(1) or 0)
    monkeypatch.setattr(os, "fsync", fsync_calls.append)

    storage.make_durable(names)
    assert (len(syncfs_calls), len(fsync_calls)) == (1, 0)

    storage.make_durable(names[:1])
    assert len(syncfs_calls) == 1 and fsync_calls

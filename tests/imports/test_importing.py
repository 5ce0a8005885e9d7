"""Importing files, folders and archives: what comes in, and what bad input leaves behind."""

import struct
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from imports.importing import import_file
from imports.models import Batch, BatchItem
from imports.sources import import_paths
from imports.tasks import close_abandoned
from library.models import Sample
from tests import audiogen
from tests.files import wav_bytes, zip_bytes

pytestmark = pytest.mark.django_db


def folder_import(owner, *paths) -> Batch:
    batch = Batch.objects.start(owner, source=Batch.Source.FOLDER, name="test")
    return import_paths(batch, [Path(path) for path in paths])


def stored_files() -> list[Path]:
    """Every file under the data directory's audio store, temporary ones included."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file())


def scratch_files() -> list[Path]:
    root = Path(settings.DATA_DIR) / "tmp"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def item(batch, suffix) -> BatchItem:
    return next(entry for entry in batch.items.all() if entry.path.endswith(suffix))


def test_folder_import_brings_in_every_format_with_its_folder_path(user, audio_dir):
    batch = folder_import(user, audio_dir)
    assert batch.status == Batch.Status.COMPLETED
    assert (batch.imported_count, batch.failed_count) == (5, 0)
    assert batch.processed_files == batch.total_files == 5
    kick = Sample.objects.get(name="Kick Deep")
    assert kick.source_path == "Pack/Drums/Kicks"
    assert kick.original_filename == "Kick Deep.wav"
    assert kick.format == "wav"
    assert (kick.sample_rate, kick.channels, kick.bit_depth) == (44100, 1, 16)
    assert kick.duration == pytest.approx(0.5, abs=0.01)
    assert kick.status == Sample.Status.PENDING
    formats = set(Sample.objects.values_list("format", flat=True))
    assert formats == {"wav", "aiff", "flac", "ogg", "mp3"}
    assert Sample.objects.get(format="mp3").bit_depth is None


def test_files_are_stored_under_their_content_hash(user, audio_dir):
    folder_import(user, audio_dir)
    for sample in Sample.objects.all():
        assert sample.file.name == f"audio/{sample.sha256[:2]}/{sample.sha256}.{sample.format}"
        assert Path(sample.file.path).stat().st_size == sample.file_size


def test_same_content_twice_is_a_duplicate_not_a_second_copy(user, make_wav):
    original = make_wav("a.wav")
    copy = original.parent / "copy of a.wav"
    copy.write_bytes(original.read_bytes())
    batch = folder_import(user, original.parent)
    assert (batch.imported_count, batch.duplicate_count) == (1, 1)
    assert "Already in your library" in item(batch, "copy of a.wav").error
    assert Sample.objects.count() == 1
    assert len(stored_files()) == 1


def test_two_users_share_one_stored_file(user, other_user, make_wav):
    path = make_wav()
    folder_import(user, path)
    folder_import(other_user, path)
    assert Sample.objects.count() == 2
    assert len(stored_files()) == 1


def test_reimporting_a_trashed_sample_restores_it_and_says_so(user, make_wav):
    path = make_wav()
    folder_import(user, path)
    sample = Sample.objects.get()
    sample.move_to_trash()
    batch = folder_import(user, path)
    assert batch.restored_count == 1
    assert "Restored" in batch.items.get().error
    sample.refresh_from_db()
    assert not sample.in_trash


def truncated_wav(path: Path) -> Path:
    data = wav_bytes(1.0)
    path.write_bytes(data[: len(data) // 3])
    return path


def truncated_ogg(path: Path, subtype="VORBIS", sr=audiogen.SR) -> Path:
    """An OGG cut in its second half: the pages left are intact, the end-of-stream page is gone."""
    data = audiogen.write(path, audiogen.drum_loop(120, 1, sr), sr, subtype).read_bytes()
    path.write_bytes(data[: len(data) * 3 // 4])
    return path


def unsupported_codec_wav(path: Path) -> Path:
    """A WAV whose format tag names MPEG audio, which WAV readers do not decode."""
    payload = bytes(4000)
    fmt = struct.pack("<HHIIHH", 0x0055, 1, 44100, 16000, 1, 0)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(payload)) + payload
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


BAD_FILES = {
    "notes.wav": lambda path: path.write_text("these are my lyrics, not audio"),
    "empty.wav": lambda path: path.write_bytes(b""),
    "cut.wav": truncated_wav,
    "cut.ogg": truncated_ogg,
    "cut opus.ogg": lambda path: truncated_ogg(path, "OPUS", 48000),
    "codec.wav": unsupported_codec_wav,
    "song.m4a": lambda path: path.write_bytes(b"\x00\x00\x00\x20ftypM4A " + bytes(64)),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_fails_alone_and_leaves_nothing_behind(user, make_wav, tmp_path, name):
    folder = tmp_path / "mixed"
    make_wav("good one.wav", folder=folder)
    make_wav("good two.wav", folder=folder)
    BAD_FILES[name](folder / name)
    batch = folder_import(user, folder / "good one.wav", folder / name, folder / "good two.wav")
    assert batch.status == Batch.Status.COMPLETED
    assert (batch.imported_count, batch.failed_count) == (2, 1)
    failure = item(batch, name)
    assert failure.status == BatchItem.Status.FAILED
    assert failure.error and "Traceback" not in failure.error
    assert failure.sample is None
    assert Sample.objects.count() == 2
    assert len(stored_files()) == 2
    assert scratch_files() == []


def test_failure_messages_speak_plainly(user, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    for name, make in BAD_FILES.items():
        make(folder / name)
    batch = folder_import(user, *(folder / name for name in BAD_FILES))
    errors = {entry.path.split("/")[-1]: entry.error for entry in batch.items.all()}
    assert "empty" in errors["empty.wav"]
    assert "WAV, AIFF, FLAC, MP3 or OGG" in errors["song.m4a"]
    assert all("cut short" in errors[name] for name in ("cut.wav", "cut.ogg", "cut opus.ogg"))
    assert all(errors.values())


def test_a_cut_ogg_fails_alone_saying_so_while_the_rest_of_its_batch_imports(
    user, make_wav, tmp_path
):
    folder = tmp_path / "mixed"
    good = make_wav("good.wav", folder=folder)
    intact = audiogen.write(folder / "intact.ogg", audiogen.drum_loop(100, 1), audiogen.SR)
    vorbis = truncated_ogg(folder / "cut vorbis.ogg")
    opus = truncated_ogg(folder / "cut opus.ogg", "OPUS", 48000)
    batch = folder_import(user, good, vorbis, intact, opus)
    assert batch.status == Batch.Status.COMPLETED
    assert (batch.imported_count, batch.failed_count) == (2, 2)
    for name in ("cut vorbis.ogg", "cut opus.ogg"):
        failure = item(batch, name)
        assert failure.status == BatchItem.Status.FAILED
        assert failure.error.startswith("The file is cut short: it ends before its own end marker")
        assert failure.sample is None
    imported = Sample.objects.values_list("original_filename", flat=True)
    assert sorted(imported) == ["good.wav", "intact.ogg"]
    assert len(stored_files()) == 2


def test_a_file_over_the_size_limit_is_refused(user, make_wav, settings):
    settings.UPLOAD_MAX_FILE_MB = 1
    settings.UPLOAD_MAX_FILE_BYTES = 40_000
    batch = folder_import(user, make_wav(seconds=1.0))
    assert batch.failed_count == 1
    assert "over the 1 MB limit" in batch.items.get().error
    assert stored_files() == []


def test_a_full_disk_refuses_the_file(user, make_wav, settings):
    settings.MIN_FREE_DISK_MB = 10**9
    batch = folder_import(user, make_wav())
    assert "Not enough free disk space" in batch.items.get().error
    assert not Sample.objects.exists()
    assert stored_files() == []


def test_missing_path_is_reported(user, tmp_path):
    batch = folder_import(user, tmp_path / "nowhere")
    assert batch.failed_count == 1
    assert "No such file" in batch.items.get().error


# Archives


def write_zip(path: Path, members: dict[str, bytes], **options) -> Path:
    path.write_bytes(zip_bytes(members, **options))
    return path


def test_zip_archives_are_unpacked_with_their_folders(user, tmp_path):
    archive = write_zip(
        tmp_path / "Dusty Pack.zip",
        {
            "Kicks/k1.wav": wav_bytes(0.3, 100),
            "Snares/s1.wav": wav_bytes(0.3, 200),
            "__MACOSX/Kicks/._k1.wav": b"junk",
            "info.pdf": b"%PDF",
        },
    )
    batch = folder_import(user, archive)
    assert (batch.imported_count, batch.failed_count) == (2, 0)
    assert batch.total_files == batch.processed_files == 2
    assert set(Sample.objects.values_list("source_path", flat=True)) == {
        "Dusty Pack/Kicks",
        "Dusty Pack/Snares",
    }
    assert scratch_files() == []


def test_an_archive_of_a_folder_of_its_own_name_unpacks_as_that_folder(user, tmp_path):
    (tmp_path / "in" / "Packs").mkdir(parents=True)
    write_zip(
        tmp_path / "in" / "Packs" / "Dusty Pack.zip",
        {"Dusty Pack/Kicks/k1.wav": wav_bytes(0.3, 100), "dusty pack/s1.wav": wav_bytes(0.3, 200)},
    )
    # Another folder inside, or loose files beside it, keep the archive's name.
    write_zip(
        tmp_path / "in" / "lofi_v2.zip",
        {"Loops/k2.wav": wav_bytes(0.3, 300), "lofi_v2 extra/k3.wav": wav_bytes(0.3, 400)},
    )
    batch = folder_import(user, tmp_path / "in")
    assert batch.imported_count == 4
    assert set(Sample.objects.values_list("source_path", flat=True)) == {
        "in/Packs/Dusty Pack/Kicks",
        "in/Packs/dusty pack",
        "in/lofi_v2/Loops",
        "in/lofi_v2/lofi_v2 extra",
    }


@pytest.mark.parametrize("evil", ["../escape.wav", "/etc/evil.wav", "a/../../up.wav", "C:/x.wav"])
def test_zip_entries_that_leave_the_folder_are_refused(user, tmp_path, evil):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("fine.wav", wav_bytes(0.3, 300))
        info = zipfile.ZipInfo("placeholder.wav")
        info.filename = evil  # ZipInfo would normalise it; set the raw name
        out.writestr(info, wav_bytes(0.3, 400))
    batch = folder_import(user, archive)
    assert (batch.imported_count, batch.failed_count) == (1, 1)
    failure = batch.items.get(status=BatchItem.Status.FAILED)
    assert "outside its folder" in failure.error or "absolute path" in failure.error
    assert not (tmp_path / "escape.wav").exists()
    assert stored_files() == [Path(Sample.objects.get().file.path)]


def test_zip_bomb_by_ratio_is_refused(user, tmp_path, settings):
    settings.ZIP_MAX_RATIO = 50
    archive = write_zip(tmp_path / "bomb.zip", {"silence.wav": bytes(20_000_000)})
    batch = folder_import(user, archive)
    assert batch.failed_count == 1
    assert "times its size" in batch.items.get().error
    assert not Sample.objects.exists()
    assert scratch_files() == []


def test_zip_over_the_unpacked_size_limit_is_refused(user, tmp_path, settings):
    settings.ZIP_MAX_UNPACKED_MB = 1
    archive = write_zip(
        tmp_path / "big.zip", {"a.wav": wav_bytes(20.0, 300)}, compression=zipfile.ZIP_STORED
    )
    batch = folder_import(user, archive)
    assert "over the 1 MB limit" in batch.items.get().error


def test_a_broken_zip_fails_alone(user, tmp_path, make_wav):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "broken.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    make_wav("ok.wav", folder=tmp_path / "in")
    batch = folder_import(user, tmp_path / "in")
    assert (batch.imported_count, batch.failed_count) == (1, 1)
    assert "not a readable ZIP" in item(batch, "broken.zip").error


def test_bad_audio_inside_a_zip_fails_alone(user, tmp_path):
    archive = write_zip(
        tmp_path / "pack.zip", {"good.wav": wav_bytes(0.3, 500), "bad.wav": b"RIFF garbage"}
    )
    batch = folder_import(user, archive)
    assert (batch.imported_count, batch.failed_count) == (1, 1)
    assert scratch_files() == []


def patched_zip(path: Path, members: dict[str, bytes], patched: str, *, flag=0, method=None):
    """A stored ZIP whose member ``patched`` claims a flag (0x1: encrypted) or method (9: Deflate64)."""
    path.write_bytes(zip_bytes(members, compression=zipfile.ZIP_STORED))
    data = bytearray(path.read_bytes())
    name = patched.encode()
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                flags = struct.unpack_from("<H", data, start + flag_at)[0] | flag
                struct.pack_into("<H", data, start + flag_at, flags)
                if method is not None:
                    struct.pack_into("<H", data, start + method_at, method)
            start += 4
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("patch", "message"),
    [({"flag": 0x1}, "encrypted"), ({"method": 9}, "compression method")],
)
def test_a_member_the_zip_module_cannot_open_fails_alone(user, tmp_path, make_wav, patch, message):
    (tmp_path / "in").mkdir()
    patched_zip(
        tmp_path / "in" / "pack.zip",
        {
            "a.wav": wav_bytes(0.3, 500),
            "locked.wav": wav_bytes(0.3, 600),
            "z.wav": wav_bytes(0.3, 700),
        },
        "locked.wav",
        **patch,
    )
    make_wav("loose.wav", folder=tmp_path / "in")

    batch = folder_import(user, tmp_path / "in")

    assert batch.status == Batch.Status.COMPLETED
    assert (batch.imported_count, batch.failed_count) == (3, 1)
    assert message in item(batch, "locked.wav").error
    assert scratch_files() == []


def test_nested_zips_and_nul_names_are_listed_with_the_reason(user, tmp_path):
    archive = write_zip(
        tmp_path / "pack.zip",
        {"inner.zip": zip_bytes({"x.wav": wav_bytes(0.3, 300)}), "ok.wav": wav_bytes(0.3, 500)},
    )
    data = bytearray(archive.read_bytes())
    archive.write_bytes(bytes(data).replace(b"ok.wav", b"o\x00.wav"))  # Both headers.
    batch = folder_import(user, archive)

    assert (batch.imported_count, batch.failed_count) == (0, 2)
    assert "ZIP inside the ZIP" in item(batch, "inner.zip").error
    assert "NUL" in item(batch, ".wav").error
    assert all("\x00" not in entry.path for entry in batch.items.all())


def test_a_member_name_too_long_for_the_disk_still_imports(user, tmp_path):
    long_name = "x" * 300 + ".wav"
    batch = folder_import(user, write_zip(tmp_path / "pack.zip", {long_name: wav_bytes(0.3, 500)}))

    assert (batch.imported_count, batch.failed_count) == (1, 0)
    assert str(tmp_path) not in " ".join(batch.items.values_list("error", flat=True))


def test_imports_nothing_happened_to_for_long_are_closed(user, make_wav, settings):
    long_ago = timezone.now() - timedelta(hours=2)
    abandoned = Batch.objects.start(
        user, source=Batch.Source.UPLOAD, name="closed tab", total_files=3
    )
    sample_file = make_wav("one.wav")
    outcome = import_file(user, sample_file, "one.wav")
    abandoned.record(outcome.path, outcome.status, outcome.message, outcome.sample)
    BatchItem.objects.filter(batch=abandoned).update(created_at=long_ago)
    Batch.objects.filter(pk=abandoned.pk).update(started_at=long_ago)
    busy = Batch.objects.start(
        user, source=Batch.Source.URL, name="l", source_url="https://x.test/a.zip"
    )
    Batch.objects.filter(pk=busy.pk).update(started_at=timezone.now() - timedelta(minutes=5))

    assert close_abandoned() == 1

    abandoned.refresh_from_db()
    assert abandoned.status == Batch.Status.FAILED and "nothing arrived" in abandoned.error
    assert (abandoned.total_files, abandoned.imported_count) == (1, 1)
    assert Batch.objects.get(pk=busy.pk).status == Batch.Status.RUNNING

"""Exports end to end: planning, conversion, verification, ZIP and folder delivery, commands."""

import io
import zipfile
from io import StringIO
from pathlib import Path

import pytest
import soundfile as sf
from django.core.management import CommandError, call_command
from django.urls import reverse

from exports.models import Export, ExportItem
from exports.runner import finish_cancelled, remove_expired, run
from exports.tasks import run_export
from imports.importing import import_file
from kits.models import Kit, KitPad
from tests import audiogen

pytestmark = pytest.mark.django_db


@pytest.fixture
def kit(user, tmp_path):
    """A kit of real audio from mixed sources: 44.1 kHz 24-bit, 96 kHz float stereo, AIFF."""
    sources = {
        ("A", 13): ("Kick Großartig 808.wav", audiogen.kick(44100), 44100, "PCM_24"),
        ("A", 14): ("Snare Crack.aiff", audiogen.snare(44100), 44100, "PCM_16"),
        ("A", 1): (
            "Dusty Loop 90.wav",
            audiogen.stereo(audiogen.drum_loop(90, 1, 96000)),
            96000,
            "FLOAT",
        ),
        ("B", 1): ("Keys.flac", audiogen.chord("A", "minor", 2.0, 48000), 48000, "PCM_16"),
    }
    kit = Kit.objects.create(owner=user, name="Boom Bap Kit", tempo_bpm=90)
    for (bank, pad), (name, audio, rate, subtype) in sources.items():
        path = tmp_path / "src" / name
        path.parent.mkdir(exist_ok=True)
        sf.write(path, audio, rate, subtype=subtype)
        sample = import_file(user, path, name).sample
        sample.tempo_bpm = 90.0 if "Loop" in name else None
        sample.save()
        KitPad.objects.create(
            kit=kit, bank=bank, pad_number=pad, sample=sample, volume=100, pitch=-2, gate=pad == 13
        )
    return kit


def start_export(client, kit, **fields):
    data = {"kit": kit.pk, "name": kit.name, "format": "wav", "sample_rate": 48000, "bit_depth": 16,
            "organisation": "kit", "destination": "zip", **fields}  # fmt: skip
    response = client.post(reverse("exports:new"), data)
    assert response.status_code == 302, response.context["form"].errors
    return Export.objects.latest("id")


def test_kit_export_makes_a_verified_zip_in_pad_order(
    client_for, user, kit, django_capture_on_commit_callbacks
):
    client = client_for(user)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        export = start_export(client, kit)
    assert len(queued) == 1
    assert run_export(export.pk) == Export.Status.COMPLETED
    export.refresh_from_db()
    assert (export.file_count, export.total_files, export.processed_files) == (4, 4, 4)
    assert export.expires_at is not None
    response = client.get(reverse("exports:download", args=[export.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = sorted(archive.namelist())
    assert names == [
        "Boom Bap Kit/A/01 Dusty Loop 90.wav",
        "Boom Bap Kit/A/13 Kick Grossartig 808.wav",
        "Boom Bap Kit/A/14 Snare Crack.wav",
        "Boom Bap Kit/B/01 Keys.wav",
        "Boom Bap Kit/README.txt",
    ]
    for name in names[:-1]:
        info = sf.info(io.BytesIO(archive.read(name)))
        assert (info.samplerate, info.subtype) == (48000, "PCM_16")
        assert len(Path(name).stem) <= 23
    assert sf.info(io.BytesIO(archive.read("Boom Bap Kit/A/01 Dusty Loop 90.wav"))).channels == 2
    readme = archive.read("Boom Bap Kit/README.txt").decode("ascii")
    assert "A/13 Kick Grossartig 808.wav" in readme
    assert "90" in readme
    assert all(item.verification.startswith("Verified") for item in export.items.all())


def test_a_trashed_sample_on_a_pad_is_written_and_said_and_notes_are_listed(client_for, user, kit):
    snare = kit.pads.get(bank="A", pad_number=14).sample
    snare.move_to_trash()
    kick = kit.pads.get(bank="A", pad_number=13).sample
    type(kick).objects.filter(pk=kick.pk).update(key="", scale="", pitch_midi=33, pitch_cents=-4)
    export = start_export(client_for(user), kit)
    run_export(export.pk)
    export.refresh_from_db()
    assert export.items.get(sample=snare).warnings.endswith("The sample is in the trash.")
    assert "trash" not in export.items.get(sample=kick).warnings
    readme = zipfile.ZipFile(export.output_path).read("Boom Bap Kit/README.txt").decode("ascii")
    kick_line = next(line for line in readme.splitlines() if "Kick" in line)
    assert " A1 " in f"{kick_line} "


def test_the_form_offers_only_the_banks_the_kit_uses(client_for, user, kit):
    page = client_for(user).get(reverse("exports:new"), {"kit": kit.pk})
    assert [value for value, _ in page.context["form"].fields["banks"].choices] == ["A", "B"]
    assert "<legend>Banks</legend>" in page.content.decode()


@pytest.mark.parametrize(("field", "value"), [("sample_rate", "96000"), ("bit_depth", "8")])
def test_a_rate_or_depth_the_unit_cannot_take_is_refused_by_name(
    client_for, user, kit, field, value
):
    data = {"kit": kit.pk, "name": kit.name, "format": "wav", "sample_rate": 48000, "bit_depth": 16,
            "organisation": "kit", "destination": "zip", field: value}  # fmt: skip
    response = client_for(user).post(reverse("exports:new"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors[field] == [f"Select a valid choice. {value} is not one of the available choices."]
    assert not Export.objects.exists()


def test_export_page_polls_until_done_then_offers_the_download(client_for, user, kit):
    client = client_for(user)
    export = start_export(client, kit)
    headers = {"HX-Request": "true", "HX-Target": "export-progress"}
    url = reverse("exports:export_detail", args=[export.pk])
    assert b"every 1s" in client.get(url, headers=headers).content
    run_export(export.pk)
    finished = client.get(url, headers=headers)
    assert finished.status_code == 286
    assert b"Download ZIP" in finished.content


def test_flat_genre_and_bpm_organisations(client_for, user, kit):
    client = client_for(user)
    ids = ",".join(str(pad.sample_id) for pad in kit.pads.all())
    for organisation, folder in [
        ("flat", "Picks"),
        ("bpm", "Picks/090-099 BPM"),
        ("genre", "Picks/No genre"),
    ]:
        response = client.post(
            reverse("exports:new"),
            {"samples": ids, "name": "Picks", "format": "aiff", "sample_rate": 44100, "bit_depth": 24,
             "organisation": organisation, "destination": "zip", "uppercase": "on"},
        )  # fmt: skip
        assert response.status_code == 302
        export = Export.objects.latest("id")
        run_export(export.pk)
        names = zipfile.ZipFile(Export.objects.get(pk=export.pk).output_path).namelist()
        loop = next(name for name in names if "DUSTY" in name)
        assert loop.startswith(folder.upper() if organisation != "bpm" else "PICKS/090-099 BPM")
        assert loop.endswith(".aif")


def test_folder_exports_only_under_allowed_roots(client_for, user, kit, tmp_path, settings):
    client = client_for(user)
    card = tmp_path / "card" / "IMPORT"
    card.mkdir(parents=True)
    settings.EXPORT_FOLDER_ROOTS = []
    data = {"kit": kit.pk, "name": "Card", "format": "wav", "sample_rate": 48000, "bit_depth": 16,
            "organisation": "kit", "destination": "folder", "output_path": str(card)}  # fmt: skip
    form = client.get(reverse("exports:new"), {"kit": kit.pk}).context["form"]
    assert [value for value, _ in form.fields["destination"].choices] == ["zip"]
    assert "output_path" not in form.fields
    assert "SP404_EXPORT_ROOTS" in form.fields["destination"].help_text
    refused = client.post(reverse("exports:new"), data).context["form"]
    assert list(refused.errors) == ["destination"]
    assert len(refused.errors["destination"]) == 1
    settings.EXPORT_FOLDER_ROOTS = [str(tmp_path / "card")]
    escape = client.post(reverse("exports:new"), {**data, "output_path": f"{card}/../../.."})
    assert "may only be written under" in escape.content.decode()
    missing = client.post(reverse("exports:new"), {**data, "output_path": ""}).context["form"]
    assert missing.errors == {
        "output_path": ["Choose the folder to write into, such as the SD card's IMPORT folder."]
    }
    assert not Export.objects.exists()
    client.post(reverse("exports:new"), data)
    run_export(Export.objects.get().pk)
    assert (card / "Card" / "A" / "13 Kick Grossartig 808.wav").exists()
    assert (card / "Card" / "README.txt").exists()


def test_a_file_that_cannot_be_converted_fails_alone_and_can_be_retried(client_for, user, kit):
    sample = kit.pads.get(bank="A", pad_number=14).sample
    original = Path(sample.file.path).read_bytes()
    Path(sample.file.path).write_bytes(b"FORM junk")
    export = start_export(client_for(user), kit)
    run_export(export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.COMPLETED
    assert export.file_count == 3
    failed = export.items.get(status=ExportItem.Status.FAILED)
    assert failed.error
    Path(sample.file.path).write_bytes(original)
    assert export.resume_label == "Retry the 1 failed file"
    assert export.retry() == 1
    run_export(export.pk)
    export.refresh_from_db()
    assert export.file_count == 4
    assert len(zipfile.ZipFile(export.output_path).namelist()) == 5


def test_cancel_stops_an_export(client_for, user, kit):
    client = client_for(user)
    export = start_export(client, kit)
    client.post(reverse("exports:cancel", args=[export.pk]))
    assert run_export(export.pk) == "skipped"
    export.refresh_from_db()
    assert export.status == Export.Status.CANCELLED
    assert not export.output_path


def test_a_cancelled_export_resumes_from_its_page(
    client_for, user, kit, django_capture_on_commit_callbacks
):
    client = client_for(user)
    export = start_export(client, kit)
    client.post(reverse("exports:cancel", args=[export.pk]))
    assert run_export(export.pk) == "skipped"
    page = client.get(reverse("exports:export_detail", args=[export.pk])).content.decode()
    assert "Resume: export the 4 files left" in page
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(reverse("exports:retry", args=[export.pk]))
    assert len(queued) == 1
    assert run_export(export.pk) == Export.Status.COMPLETED
    export.refresh_from_db()
    assert (export.file_count, export.processed_files) == (4, 4)


def test_a_folder_export_cancelled_midway_writes_only_the_files_left(user, kit, tmp_path, settings):
    settings.EXPORT_FOLDER_ROOTS = [str(tmp_path)]
    export = start_export_to_folder(user, kit, tmp_path)
    written = []

    def cancel_after_the_first_file(item):
        written.append(item.output_name)
        Export.objects.get(pk=export.pk).cancel()

    export = run(export, progress=cancel_after_the_first_file)
    assert export.status == Export.Status.CANCELLED and export.finished_at
    assert export.resume_label == "Resume: export the 3 files left"
    assert export.retry() == 3
    export = run(Export.objects.get(pk=export.pk), progress=lambda item: written.append(item))
    assert export.status == Export.Status.COMPLETED
    assert export.items.filter(status=ExportItem.Status.DONE).count() == 4
    assert len(written) == 4
    assert export.resume_label == ""


def start_export_to_folder(user, kit, folder):
    from exports.planning import entries_for_kit

    return Export.objects.start(
        user, entries=entries_for_kit(kit, ""), queued=False, name=kit.name, source=Export.Source.KIT,
        kit=kit, organisation="kit", destination="folder", output_path=str(folder),
    )  # fmt: skip


def test_expired_zips_are_removed_but_history_stays(client_for, user, kit):
    export = start_export(client_for(user), kit)
    run_export(export.pk)
    export.refresh_from_db()
    path = Path(export.output_path)
    Export.objects.filter(pk=export.pk).update(expires_at="2000-01-01T00:00Z")
    assert remove_expired() == 1
    assert not path.exists()
    export.refresh_from_db()
    assert export.output_path == "" and export.status == Export.Status.COMPLETED
    assert client_for(user).get(reverse("exports:download", args=[export.pk])).status_code == 404


def test_other_users_cannot_see_or_download(client_for, user, other_user, kit):
    export = start_export(client_for(user), kit)
    run_export(export.pk)
    other = client_for(other_user)
    assert other.get(reverse("exports:export_detail", args=[export.pk])).status_code == 404
    assert other.get(reverse("exports:download", args=[export.pk])).status_code == 404
    assert other.get(reverse("exports:new"), {"kit": kit.pk}).status_code == 404


def test_export_kit_command(user, kit, tmp_path):
    out = StringIO()
    call_command(
        "export_kit", "Boom Bap Kit", "--to", str(tmp_path), "--format", "aiff", stdout=out
    )
    assert (tmp_path / "Boom Bap Kit" / "A" / "14 Snare Crack.aif").exists()
    assert "4 files written and verified, 0 failed." in out.getvalue()
    call_command("export_kit", str(kit.pk), "--to", str(tmp_path), "--zip", stdout=StringIO())
    assert zipfile.ZipFile(tmp_path / "Boom Bap Kit.zip").testzip() is None


def test_library_bulk_export_goes_to_the_export_form(client_for, user, kit):
    ids = [str(pad.sample_id) for pad in kit.pads.all()]
    response = client_for(user).post(reverse("library:bulk"), {"action": "export", "samples": ids})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("exports:new") + "?samples=")
    page = client_for(user).get(response["Location"])
    assert "4 selected samples" in page.content.decode()


def test_a_selection_readme_lists_files_without_bank_or_pad(client_for, user, kit):
    ids = ",".join(str(pad.sample_id) for pad in kit.pads.all())
    data = {"samples": ids, "name": "Picks", "format": "wav", "sample_rate": 48000,
            "bit_depth": 16, "organisation": "flat", "destination": "zip"}  # fmt: skip
    client_for(user).post(reverse("exports:new"), data)
    export = Export.objects.get()
    run_export(export.pk)
    export.refresh_from_db()
    readme = zipfile.ZipFile(export.output_path).read("Picks/README.txt").decode()
    assert "Bank" not in readme and "-  0" not in readme
    assert "\r\nKeys.wav " in readme


def test_export_kit_command_picks_the_users_kit_when_names_clash(user, other_user, kit, tmp_path):
    Kit.objects.create(owner=other_user, name="Boom Bap Kit")
    with pytest.raises(CommandError, match=r"2 kits are named 'Boom Bap Kit'.*--user"):
        call_command("export_kit", "Boom Bap Kit", "--to", str(tmp_path), stdout=StringIO())
    out = StringIO()
    target = tmp_path / "card" / "IMPORT"
    call_command("export_kit", "Boom Bap Kit", "--user", "alice", "--to", str(target), stdout=out)
    assert (target / "Boom Bap Kit" / "A" / "14 Snare Crack.wav").exists()
    assert "4 files written and verified, 0 failed." in out.getvalue()
    with pytest.raises(CommandError, match="No kit with id or name 'Boom Bap Kit' owned by bob"):
        Kit.objects.filter(owner=other_user).delete()
        call_command("export_kit", "Boom Bap Kit", "--user", "bob", "--to", str(tmp_path))


def test_export_kit_command_says_why_it_cannot_write_to_a_file(user, kit, tmp_path):
    (tmp_path / "taken").write_text("")
    with pytest.raises(CommandError, match="is a file, not a folder"):
        call_command("export_kit", "Boom Bap Kit", "--to", str(tmp_path / "taken" / "IMPORT"))


def test_a_running_export_cancelled_keeps_polling_until_its_runner_stops(client_for, user, kit):
    client = client_for(user)
    export = start_export(client, kit)
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.RUNNING, started_at="2026-01-01T00:00Z"
    )
    client.post(reverse("exports:cancel", args=[export.pk]))
    headers = {"HX-Request": "true", "HX-Target": "export-progress"}
    url = reverse("exports:export_detail", args=[export.pk])
    stopping = client.get(url, headers=headers)
    assert stopping.status_code == 200 and b"every 1s" in stopping.content
    assert b"resume-button" not in stopping.content
    finish_cancelled(Export.objects.get(pk=export.pk))  # the runner notices, between files
    stopped = client.get(url, headers=headers)
    assert stopped.status_code == 286
    assert b"Resume: export the 4 files left" in stopped.content


def test_an_export_cancelled_in_the_queue_before_this_version_can_be_resumed(user, kit):
    export = start_export_to_folder(user, kit, "/tmp")
    # What cancelling a queued export used to leave: no finished_at, never started.
    Export.objects.filter(pk=export.pk).update(status=Export.Status.CANCELLED)
    export.refresh_from_db()
    assert export.resume_label == "Resume: export the 4 files left"

"""A kit exported as an SP-404MK2 project: pads assigned in PADCONF.BIN, audio in SMPL/*.SMP."""

import io
import json
import zipfile
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.core.management import CommandError, call_command
from django.urls import reverse

from exports.models import Export
from exports.runner import run
from exports.sp404_project import read_padconf, read_smp, write_padconf
from imports.importing import import_file
from kits.models import Kit, KitPad
from library import chops, slicing
from library.tasks import analyze_sample
from tests import audiogen

pytestmark = pytest.mark.django_db


@pytest.fixture
def kit(user, tmp_path):
    """A kit at 92 BPM: a stereo 96 kHz loop chopped in four and marked, a mono kick, a snare."""
    kit = Kit.objects.create(owner=user, name="Dusty Kit Ünïcode", tempo_bpm=92)
    samples = {}
    sources = {
        "Dusty Loop": (audiogen.stereo(audiogen.drum_loop(92, 2, 96000)), 96000),
        "Kick Hard": (audiogen.kick(44100), 44100),
        "Snare Crack": (audiogen.snare(48000), 48000),
    }
    for name, (audio, rate) in sources.items():
        path = tmp_path / "src" / f"{name}.wav"
        path.parent.mkdir(exist_ok=True)
        sf.write(path, audio, rate, subtype="FLOAT" if rate == 96000 else "PCM_24")
        samples[name] = import_file(user, path, path.name).sample
    loop = samples["Dusty Loop"]
    analyze_sample(loop.pk)
    loop.refresh_from_db()
    slicing.chop(loop, chops.equal_parts(sf.info(loop.file.path).frames, 4))
    kit.mark_slices("A", 1, loop)
    kit.assign("A", 13, samples["Kick Hard"], volume=100, pitch=-3, gate=True)
    kit.assign("C", 16, samples["Snare Crack"], reverse=True, loop=True, volume=0)
    return kit


def start(client, kit, **fields):
    data = {"kit": kit.pk, "name": kit.name, "format": "wav", "sample_rate": 44100,
            "bit_depth": 24, "trim_silence": "on", "organisation": "flat",
            "destination": "zip", "project": "on", **fields}  # fmt: skip
    response = client.post(reverse("exports:new"), data)
    assert response.status_code == 302, response.context["form"].errors
    return Export.objects.latest("id")


def unzipped(client, export, into: Path) -> Path:
    response = client.get(reverse("exports:download", args=[export.pk]))
    zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).extractall(into)
    return into


def inspect(path: Path) -> tuple[dict, list[dict]]:
    out = StringIO()
    call_command("inspect_sp404_project", str(path), "--json", stdout=out)
    project, *pads = [json.loads(line) for line in out.getvalue().splitlines()]
    return project, pads


def test_a_project_zip_holds_the_import_files_and_a_project_with_every_pad_assigned(
    client_for, user, kit, tmp_path
):
    client = client_for(user)
    export = start(client, kit)
    # A project is always the unit's own format, untrimmed, in bank folders.
    assert (export.sample_rate, export.bit_depth, export.trim_silence) == (48000, 16, False)
    assert export.organisation == "kit"
    assert run(export).status == Export.Status.COMPLETED, export.error
    card = unzipped(client, export, tmp_path / "card")
    assert sorted(
        path.relative_to(card).as_posix() for path in card.rglob("*") if path.is_file()
    ) == [
        "EXPORT/PROJECT/Dusty Kit Unicode/PADCONF.BIN",
        "EXPORT/PROJECT/Dusty Kit Unicode/SMPL/BANK1-01.SMP",
        "EXPORT/PROJECT/Dusty Kit Unicode/SMPL/BANK1-13.SMP",
        "EXPORT/PROJECT/Dusty Kit Unicode/SMPL/BANK3-16.SMP",
        "IMPORT/Dusty Kit Unicode/A/01 Dusty Loop.wav",
        "IMPORT/Dusty Kit Unicode/A/13 Kick Hard.wav",
        "IMPORT/Dusty Kit Unicode/C/16 Snare Crack.wav",
        "IMPORT/Dusty Kit Unicode/README.txt",
    ]
    export.refresh_from_db()
    assert export.project_folder == "EXPORT/PROJECT/Dusty Kit Unicode"
    readme = (card / "IMPORT/Dusty Kit Unicode/README.txt").read_text()
    assert "EXPORT/PROJECT/Dusty Kit Unicode" in readme and "Back up" in readme

    project, pads = inspect(card / export.project_folder)
    assert project == {
        "name": "Dusty Kit Unicode",
        "tempo_mode": "project",
        "project_bpm": 92.0,
        "bank_bpm": [92.0] * 10,
    }
    by_pad = {(pad["bank"], pad["pad"]): pad for pad in pads}
    assert sorted(by_pad) == [("A", 1), ("A", 13), ("C", 16)]
    kick, snare, loop = by_pad["A", 13], by_pad["C", 16], by_pad["A", 1]
    assert (kick["name"], kick["volume"], kick["pitch"], kick["gate"]) == (
        "Kick Hard",
        100,
        -3,
        True,
    )
    assert (kick["loop"], kick["reverse"], kick["marks"]) == (False, False, [])
    assert (snare["volume"], snare["reverse"], snare["loop"], snare["gate"]) == (
        0,
        True,
        True,
        False,
    )
    loop_sample = kit.pads.get(bank="A", pad_number=1).sample
    assert loop["bpm"] == round(loop_sample.tempo_bpm, 2)
    assert loop["name"] == "Dusty Loop"

    # Frames count the converted 48 kHz audio, per channel: the loop is stereo, the kick mono.
    for (bank, number), wav in {
        ("A", 1): "A/01 Dusty Loop.wav",
        ("A", 13): "A/13 Kick Hard.wav",
    }.items():
        converted, rate = sf.read(
            card / "IMPORT/Dusty Kit Unicode" / wav, dtype="int16", always_2d=True
        )
        pad = by_pad[bank, number]
        assert (pad["start_frame"], pad["end_frame"], pad["loop_frame"]) == (0, len(converted), 0)
        smp = card / export.project_folder / "SMPL" / f"BANK1-{number:02d}.SMP"
        header, audio = read_smp(smp.read_bytes())
        assert (header.sample_rate, header.channels, rate) == (48000, converted.shape[1], 48000)
        assert np.array_equal(audio, converted)  # sample for sample
        assert pad["size"] == smp.stat().st_size == 512 + converted.size * 2

    # The four slices' starts, moved to 48 kHz, are the loop pad's chop marks.
    starts = sorted(loop_sample.slices.values_list("start_frame", flat=True))
    assert loop["marks"] == [round(start * 48000 / 96000) for start in starts]
    assert len(loop["marks"]) == 4 and loop["marks"][0] == 0


def test_a_project_can_be_written_into_a_card_beside_what_it_holds(user, kit, tmp_path, settings):
    card = tmp_path / "card"
    (card / "EXPORT/PROJECT/Dusty Kit Unicode").mkdir(parents=True)
    (card / "IMPORT").mkdir()
    settings.EXPORT_FOLDER_ROOTS = [str(card)]
    out = StringIO()
    call_command("export_kit", kit.name, "--to", str(card), "--project", stdout=out)
    assert "SP-404MK2 project (experimental): EXPORT/PROJECT/Dusty Kit Unicode 2" in out.getvalue()
    # The folder already on the card is left alone; the new project goes beside it.
    assert list((card / "EXPORT/PROJECT/Dusty Kit Unicode").iterdir()) == []
    project, pads = inspect(card / "EXPORT/PROJECT/Dusty Kit Unicode 2")
    assert len(pads) == 3 and project["tempo_mode"] == "project"
    assert (card / "IMPORT/Dusty Kit Unicode/A/13 Kick Hard.wav").is_file()
    # A bare PADCONF.BIN is read as stereo: the mono kick's frames count half.
    _, bare = inspect(card / "EXPORT/PROJECT/Dusty Kit Unicode 2/PADCONF.BIN")
    kick = next(pad for pad in bare if pad["pad"] == 13)
    mono = next(pad for pad in pads if pad["pad"] == 13)
    assert kick["end_frame"] == mono["end_frame"] // 2


def test_a_kit_without_tempo_keeps_the_new_project_bank_tempos(user, kit, tmp_path):
    kit.tempo_bpm = None
    kit.save()
    call_command("export_kit", str(kit.pk), "--to", str(tmp_path / "card"), "--project", "--zip",
                 stdout=StringIO())  # fmt: skip
    zipped = next((tmp_path / "card").glob("*.zip"))
    zipfile.ZipFile(zipped).extractall(tmp_path / "out")
    data = (tmp_path / "out/EXPORT/PROJECT/Dusty Kit Unicode/PADCONF.BIN").read_bytes()
    project = read_padconf(data)
    assert (project.tempo_mode, project.bank_bpm) == ("bank", [90.0] * 10)
    assert write_padconf(project) == data


def test_a_project_that_cannot_be_written_is_reported_and_the_import_files_delivered(
    user, kit, tmp_path, settings
):
    card = tmp_path / "card"
    card.mkdir()
    (card / "EXPORT").write_text("a file where the EXPORT folder should be")
    settings.EXPORT_FOLDER_ROOTS = [str(card)]
    with pytest.raises(
        CommandError, match="project could not be written: Cannot write into EXPORT"
    ):
        call_command("export_kit", kit.name, "--to", str(card), "--project", stdout=StringIO())
    export = Export.objects.get()
    # The export is done (its IMPORT files are); it says why the project is missing.
    assert export.status == Export.Status.COMPLETED and export.project_folder == ""
    assert "The files for the IMPORT folder are complete" in export.error
    # The files for the IMPORT folder are there, with their README.
    readme = (card / "IMPORT/Dusty Kit Unicode/README.txt").read_text()
    assert "13 Kick Hard.wav" in readme and "EXPORT/PROJECT" not in readme
    assert not (card / "EXPORT").is_dir()


def test_a_pad_whose_audio_cannot_be_converted_stays_empty_in_the_project(
    client_for, user, kit, tmp_path
):
    kick = kit.pads.get(bank="A", pad_number=13).sample
    Path(kick.file.path).write_bytes(b"not audio any more")
    client = client_for(user)
    export = start(client, kit)
    assert run(export).status == Export.Status.COMPLETED
    card = unzipped(client, export, tmp_path / "card")
    _, pads = inspect(card / "EXPORT/PROJECT/Dusty Kit Unicode")
    assert sorted((pad["bank"], pad["pad"]) for pad in pads) == [("A", 1), ("C", 16)]


def test_only_a_kit_can_be_exported_as_a_project(client_for, user, kit):
    client = client_for(user)
    sample = kit.pads.get(bank="A", pad_number=13).sample
    page = client.get(reverse("exports:new"), {"samples": str(sample.pk)})
    assert b'name="project"' not in page.content
    data = {"samples": str(sample.pk), "name": "Loose", "format": "wav", "sample_rate": 48000,
            "bit_depth": 16, "organisation": "flat", "destination": "zip", "project": "on"}  # fmt: skip
    assert client.post(reverse("exports:new"), data).status_code == 302
    assert Export.objects.latest("id").project is False
    kit_page = client.get(reverse("exports:new"), {"kit": kit.pk})
    assert (
        b'name="project"' in kit_page.content
        and b"not been confirmed on a unit" in kit_page.content
    )


def test_inspect_refuses_what_is_not_a_project(tmp_path):
    bad = tmp_path / "PADCONF.BIN"
    bad.write_bytes(b"RIFF" + bytes(100))
    with pytest.raises(CommandError, match="52,000 bytes"):
        call_command("inspect_sp404_project", str(bad), stdout=StringIO())
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("inspect_sp404_project", str(tmp_path / "missing"), stdout=StringIO())


def test_inspect_prints_a_readable_table_without_json(user, kit, tmp_path):
    call_command("export_kit", kit.name, "--to", str(tmp_path / "card"), "--project",
                 stdout=StringIO())  # fmt: skip
    out = StringIO()
    call_command("inspect_sp404_project", str(tmp_path / "card/EXPORT/PROJECT/Dusty Kit Unicode"),
                 stdout=out)  # fmt: skip
    text = out.getvalue()
    assert text.startswith("Dusty Kit Unicode: project tempo 92 BPM; 3 pads hold samples")
    assert "A13  Kick Hard" in text and "4 chop marks" in text


def test_marking_slices_needs_a_chopped_loop_of_at_most_sixteen(user, kit):
    from django.core.exceptions import ValidationError

    loop = kit.pads.get(bank="A", pad_number=1).sample
    kick = kit.pads.get(bank="A", pad_number=13).sample
    with pytest.raises(ValidationError, match="no slices"):
        kit.mark_slices("B", 1, kick)
    slicing.chop(loop, chops.equal_parts(sf.info(loop.file.path).frames, 17))
    with pytest.raises(ValidationError, match="16 chop marks"):
        kit.mark_slices("B", 1, loop)
    # Another sample on the marked pad drops the marks with the loop.
    kit.assign("A", 1, kick)
    assert KitPad.objects.get(kit=kit, bank="A", pad_number=1).chop_marks is False


def test_the_chop_editor_puts_the_whole_loop_on_one_pad_with_marks(client_for, user, kit):
    client = client_for(user)
    loop = kit.pads.get(bank="A", pad_number=1).sample
    posted = {"loop": loop.pk, "kit": kit.pk, "bank": "B", "how": "marks"}
    response = client.post(reverse("kits:send_slices"), {**posted, "pad": "5"}, follow=True)
    assert "on pad B5 with its slices as chop marks" in response.content.decode()
    pad = kit.pads.get(bank="B", pad_number=5)
    assert (pad.sample, pad.chop_marks) == (loop, True)
    assert not kit.pads.filter(bank="B").exclude(pad_number=5).exists()  # no slice was sent
    page = client.get(reverse("kits:kit_detail", args=[kit.pk]), {"bank": "B", "pad": 5})
    assert "chop marks" in page.content.decode()
    for bad in ("17", "0", "x", "\x00", "9" * 40, ""):
        response = client.post(reverse("kits:send_slices"), {**posted, "pad": bad}, follow=True)
        assert "Choose the pad the whole loop goes on" in response.content.decode()


def test_whole_loop_marks_refuse_another_users_kit_and_loop(client_for, user, other_user, kit):
    loop = kit.pads.get(bank="A", pad_number=1).sample
    theirs = Kit.objects.create(owner=other_user, name="Theirs")
    posted = {"loop": loop.pk, "bank": "A", "how": "marks", "pad": "3"}
    response = client_for(user).post(
        reverse("kits:send_slices"), {**posted, "kit": theirs.pk}, follow=True
    )
    assert "Choose one of your kits" in response.content.decode()
    assert not theirs.pads.exists()
    response = client_for(other_user).post(
        reverse("kits:send_slices"), {**posted, "kit": theirs.pk}
    )
    assert response.status_code == 404  # the loop is not theirs


def test_a_loop_chopped_again_into_more_than_sixteen_keeps_sixteen_marks_and_says_so(
    client_for, user, kit, tmp_path
):
    loop = kit.pads.get(bank="A", pad_number=1).sample
    slicing.chop(loop, chops.equal_parts(sf.info(loop.file.path).frames, 20))
    client = client_for(user)
    export = start(client, kit)
    assert run(export).status == Export.Status.COMPLETED
    item = export.items.get(bank="A", pad_number=1)
    assert "first 16 of 20 slices" in item.warnings
    _, pads = inspect(unzipped(client, export, tmp_path / "card") / export.project_folder)
    assert len(next(pad for pad in pads if pad["pad"] == 1)["marks"]) == 16


def test_a_zip_whose_project_fails_still_holds_the_import_files(client_for, user, kit, tmp_path):
    from exports.runner import staging_folder

    client = client_for(user)
    export = start(client, kit)
    staging_folder(export).mkdir(parents=True)
    (staging_folder(export) / "EXPORT").write_text("a file where the project's folder goes")
    assert run(export).status == Export.Status.COMPLETED
    assert export.error.startswith("The SP-404MK2 project could not be written")
    card = unzipped(client, export, tmp_path / "card")
    assert (card / "IMPORT/Dusty Kit Unicode/A/13 Kick Hard.wav").is_file()
    assert not (card / "EXPORT").is_dir()
    page = client.get(reverse("exports:export_detail", args=[export.pk])).content.decode()
    assert "not written (the reason is above)" in page


def test_a_retried_folder_export_replaces_its_own_project_and_clears_a_killed_runs_leftovers(
    user, kit, tmp_path, settings
):
    card = tmp_path / "card"
    card.mkdir()
    settings.EXPORT_FOLDER_ROOTS = [str(card)]
    kick = Path(kit.pads.get(bank="A", pad_number=13).sample.file.path)
    audio = kick.read_bytes()
    kick.write_bytes(b"broken for now")
    call_command("export_kit", kit.name, "--to", str(card), "--project", stdout=StringIO())
    export = Export.objects.get()
    assert export.items.filter(status="failed").count() == 1
    projects = card / "EXPORT/PROJECT"
    _, pads = inspect(projects / "Dusty Kit Unicode")
    assert [pad["pad"] for pad in pads] == [1, 16]
    # A killed run left its hidden folder; the user keeps a file of theirs elsewhere.
    hidden = projects / f".sp404site-export-{export.pk}.partial"
    (hidden / "SMPL").mkdir(parents=True)
    (hidden / "SMPL/BANK2-05.SMP").write_bytes(b"half, of a pad the kit no longer fills")
    (projects / "Theirs").mkdir()
    (projects / "Theirs/PADCONF.BIN").write_bytes(b"not ours")

    kick.write_bytes(audio)
    assert export.retry() == 1
    assert run(export).status == Export.Status.COMPLETED and export.error == ""
    assert sorted(path.name for path in projects.iterdir()) == ["Dusty Kit Unicode", "Theirs"]
    _, pads = inspect(projects / "Dusty Kit Unicode")
    assert [pad["pad"] for pad in pads] == [1, 13, 16]
    smpl = projects / "Dusty Kit Unicode/SMPL"
    assert sorted(path.name for path in smpl.iterdir()) == [
        "BANK1-01.SMP",
        "BANK1-13.SMP",
        "BANK3-16.SMP",
    ]
    assert (projects / "Theirs/PADCONF.BIN").read_bytes() == b"not ours"


def test_a_kit_copied_for_another_user_drops_marks_its_loop_copy_cannot_have(user, other_user, kit):
    copy = kit.copy_for(other_user)
    assert list(copy.pads.filter(chop_marks=True)) == []
    assert kit.copy_for(user).pads.get(bank="A", pad_number=1).chop_marks is True


def test_a_marked_pad_whose_loop_lost_its_slices_says_so(client_for, user, kit, tmp_path):
    loop = kit.pads.get(bank="A", pad_number=1).sample
    slicing.chop(loop, [])
    client = client_for(user)
    export = start(client, kit)
    assert run(export).status == Export.Status.COMPLETED
    assert "no slices now" in export.items.get(bank="A", pad_number=1).warnings


def test_a_pad_given_another_sample_since_the_export_began_keeps_its_items_audio_only(
    client_for, user, kit, tmp_path
):
    client = client_for(user)
    export = start(client, kit)
    kick = kit.pads.get(bank="A", pad_number=13).sample
    kit.assign("A", 1, kick, volume=30)  # the loop's pad, before the export runs
    assert run(export).status == Export.Status.COMPLETED
    _, pads = inspect(unzipped(client, export, tmp_path / "card") / export.project_folder)
    loop_pad = next(pad for pad in pads if pad["pad"] == 1)
    assert (loop_pad["name"], loop_pad["volume"], loop_pad["marks"]) == ("Dusty Loop", 127, [])

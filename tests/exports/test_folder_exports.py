"""Folder exports never replace what a folder holds and never write outside the allowed roots."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from exports.models import Export, ExportItem
from exports.runner import run
from exports.tasks import run_export
from imports.importing import import_file
from kits.models import Kit, KitPad
from tests import audiogen
from tests.files import write_audio

pytestmark = pytest.mark.django_db


def make_kit(owner, folder: Path, sounds) -> Kit:
    """A kit called "Boom Bap Kit" with the owner's own audio on pads A1, A2..."""
    kit = Kit.objects.create(owner=owner, name="Boom Bap Kit")
    for pad_number, (name, audio) in enumerate(sounds, start=1):
        path = write_audio(folder / owner.get_username() / f"{name}.wav", audio)
        sample = import_file(owner, path, path.name).sample
        KitPad.objects.create(kit=kit, bank="A", pad_number=pad_number, sample=sample)
    return kit


@pytest.fixture
def kits(user, other_user, tmp_path):
    """Alice's and Bob's kits: the same name and file names, different audio."""
    alice = make_kit(user, tmp_path, [("Kick", audiogen.kick()), ("Snare", audiogen.snare())])
    bob = make_kit(other_user, tmp_path, [("Kick", audiogen.tom()), ("Snare", audiogen.clap())])
    return alice, bob


@pytest.fixture
def card(tmp_path, settings):
    """The IMPORT folder of an SD card whose root is the one folder exports may write to."""
    settings.EXPORT_FOLDER_ROOTS = [str(tmp_path / "card")]
    folder = tmp_path / "card" / "IMPORT"
    folder.mkdir(parents=True)
    return folder


def export_to_folder(client, kit, folder: Path) -> Export:
    """Start a folder export from the export form, as a user does."""
    data = {"kit": kit.pk, "name": kit.name, "format": "wav", "sample_rate": 48000, "bit_depth": 16,
            "organisation": "kit", "destination": "folder", "output_path": str(folder)}  # fmt: skip
    response = client.post(reverse("exports:new"), data)
    assert response.status_code == 302, response.context["form"].errors
    return Export.objects.latest("id")


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file under folder (links included, never followed), by relative path, with its bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() if path.is_file() else b"link"
        for path in sorted(folder.rglob("*"))
        if path.is_symlink() or path.is_file()
    }


def audio_only(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if name.endswith(".wav")}


def cancel_after_the_first_file(export: Export) -> Export:
    run(export, progress=lambda item: Export.objects.get(pk=export.pk).cancel())
    export.refresh_from_db()
    assert export.status == Export.Status.CANCELLED
    assert export.items.filter(status=ExportItem.Status.DONE).count() == 1
    return export


def test_two_users_exporting_kits_of_one_name_into_one_folder_both_keep_their_files(
    client_for, user, other_user, kits, card, tmp_path
):
    alice_kit, bob_kit = kits
    # What Bob's export writes when it has a folder to itself.
    alone = tmp_path / "card" / "ALONE"
    alone.mkdir()
    run_export(export_to_folder(client_for(other_user), bob_kit, alone).pk)
    bobs_audio = audio_only(files_under(alone / "Boom Bap Kit"))

    first = export_to_folder(client_for(user), alice_kit, card)
    assert run_export(first.pk) == Export.Status.COMPLETED
    alices_files = files_under(card / "Boom Bap Kit")
    assert sorted(alices_files) == ["A/01 Kick.wav", "A/02 Snare.wav", "README.txt"]
    second = export_to_folder(client_for(other_user), bob_kit, card)
    assert run_export(second.pk) == Export.Status.COMPLETED

    assert sorted(path.name for path in card.iterdir()) == ["Boom Bap Kit", "Boom Bap Kit 2"]
    assert files_under(card / "Boom Bap Kit") == alices_files
    bobs_files = files_under(card / "Boom Bap Kit 2")
    assert audio_only(bobs_files) == bobs_audio
    assert audio_only(bobs_files) != audio_only(alices_files)
    assert "A/01 Kick.wav" in bobs_files["README.txt"].decode("ascii")
    assert {item.output_name for item in second.items.all()} == {
        "Boom Bap Kit 2/A/01 Kick.wav",
        "Boom Bap Kit 2/A/02 Snare.wav",
    }
    page = client_for(other_user).get(reverse("exports:export_detail", args=[second.pk]))
    assert "Boom Bap Kit 2/A/01 Kick.wav" in page.content.decode()


@pytest.mark.parametrize("existing", ["a folder", "a file", "a link to outside"])
def test_an_export_writes_beside_whatever_already_has_its_name(
    client_for, user, kits, card, tmp_path, existing
):
    outside = tmp_path / "outside"
    outside.mkdir()
    taken = card / "Boom Bap Kit"
    if existing == "a folder":
        (taken / "A").mkdir(parents=True)
        (taken / "A" / "01 Kick.wav").write_bytes(b"the user's own kick")
        (taken / "README.txt").write_text("the user's own notes")
    elif existing == "a file":
        taken.write_text("not a folder")
    else:
        taken.symlink_to(outside, target_is_directory=True)
    before = files_under(card)

    export = export_to_folder(client_for(user), kits[0], card)
    assert run_export(export.pk) == Export.Status.COMPLETED

    assert {name: data for name, data in files_under(card).items() if name in before} == before
    assert sorted(files_under(card / "Boom Bap Kit 2")) == [
        "A/01 Kick.wav",
        "A/02 Snare.wav",
        "README.txt",
    ]
    assert files_under(outside) == {}


@pytest.mark.parametrize("swapped", ["the folder itself", "a folder above it"])
def test_a_folder_swapped_for_a_link_after_the_export_started_fails_and_writes_nothing_outside(
    client_for, user, kits, tmp_path, settings, swapped
):
    settings.EXPORT_FOLDER_ROOTS = [str(tmp_path / "card")]
    destination = tmp_path / "card" / "SD" / "IMPORT"
    destination.mkdir(parents=True)
    outside = tmp_path / "outside"
    (outside / "IMPORT").mkdir(parents=True)
    client = client_for(user)
    export = export_to_folder(client, kits[0], destination)

    link = destination if swapped == "the folder itself" else destination.parent
    link.rename(link.with_name("moved away"))
    link.symlink_to(outside / link.name if link == destination else outside)
    assert run_export(export.pk) == Export.Status.FAILED

    assert files_under(outside) == {}
    assert files_under(tmp_path / "card") == {
        link.relative_to(tmp_path / "card").as_posix(): b"link"
    }
    export.refresh_from_db()
    assert f"{link.name} is a symbolic link" in export.error
    page = client.get(reverse("exports:export_detail", args=[export.pk])).content.decode()
    assert export.error in page


def test_a_folder_no_longer_allowed_when_the_export_runs_is_refused(
    client_for, user, kits, card, tmp_path, settings
):
    client = client_for(user)
    export = export_to_folder(client, kits[0], card)
    settings.EXPORT_FOLDER_ROOTS = [str(tmp_path / "elsewhere")]

    assert run_export(export.pk) == Export.Status.FAILED

    assert files_under(card) == {}
    export.refresh_from_db()
    assert "may only be written under" in export.error


def test_a_resumed_export_finishes_its_own_folder_after_another_of_the_same_name(
    client_for, user, other_user, kits, card
):
    alice_kit, bob_kit = kits
    first = cancel_after_the_first_file(export_to_folder(client_for(user), alice_kit, card))
    alices_first_file = files_under(card / "Boom Bap Kit")["A/01 Kick.wav"]
    second = export_to_folder(client_for(other_user), bob_kit, card)
    assert run_export(second.pk) == Export.Status.COMPLETED
    bobs_files = files_under(card / "Boom Bap Kit 2")

    assert first.retry() == 1
    assert run_export(first.pk) == Export.Status.COMPLETED

    alices_files = files_under(card / "Boom Bap Kit")
    assert sorted(alices_files) == ["A/01 Kick.wav", "A/02 Snare.wav", "README.txt"]
    assert alices_files["A/01 Kick.wav"] == alices_first_file
    assert "A/02 Snare.wav" in alices_files["README.txt"].decode("ascii")
    assert files_under(card / "Boom Bap Kit 2") == bobs_files
    assert first.items.filter(status=ExportItem.Status.DONE).count() == 2


def test_a_resume_never_writes_into_another_exports_folder_of_the_same_name(
    client_for, user, other_user, kits, card
):
    alice_kit, bob_kit = kits
    first = cancel_after_the_first_file(export_to_folder(client_for(user), alice_kit, card))
    shutil.rmtree(card / "Boom Bap Kit")  # the user clears the card
    second = export_to_folder(client_for(other_user), bob_kit, card)
    assert run_export(second.pk) == Export.Status.COMPLETED
    bobs_files = files_under(card)

    first.retry()
    assert run_export(first.pk) == Export.Status.FAILED

    assert files_under(card) == bobs_files
    first.refresh_from_db()
    assert "not the one this export created" in first.error


def test_a_link_planted_inside_the_exports_own_folder_is_refused_on_resume(
    client_for, user, kits, card, tmp_path
):
    outside = tmp_path / "outside"
    outside.mkdir()
    export = cancel_after_the_first_file(export_to_folder(client_for(user), kits[0], card))
    bank = card / "Boom Bap Kit" / "A"
    bank.rename(card / "moved away")
    bank.symlink_to(outside, target_is_directory=True)

    export.retry()
    assert run_export(export.pk) == Export.Status.FAILED

    assert files_under(outside) == {}
    export.refresh_from_db()
    assert "A is a symbolic link" in export.error


class Killed(BaseException):
    """The worker dies: nothing after this point runs."""


def test_a_redelivered_export_completes_what_its_killed_run_left_in_its_own_folder(
    client_for, user, kits, card
):
    export = export_to_folder(client_for(user), kits[0], card)

    def killed(item):
        raise Killed

    with pytest.raises(Killed):
        run(export, progress=killed)
    # Killed after writing the first file but before recording it, and halfway into the second.
    export.items.update(status=ExportItem.Status.PENDING)
    (card / "Boom Bap Kit" / "A" / "02 Snare.wav.partial").write_bytes(b"half a file")

    assert run_export(export.pk) == Export.Status.COMPLETED

    assert [path.name for path in card.iterdir()] == ["Boom Bap Kit"]
    assert sorted(files_under(card)) == [
        "Boom Bap Kit/A/01 Kick.wav",
        "Boom Bap Kit/A/02 Snare.wav",
        "Boom Bap Kit/README.txt",
    ]


def test_export_kit_command_twice_into_one_folder_keeps_both(user, kits, tmp_path):
    for _ in range(2):
        call_command(
            "export_kit", str(kits[0].pk), "--to", str(tmp_path / "out"), stdout=StringIO()
        )
        call_command(
            "export_kit", str(kits[0].pk), "--to", str(tmp_path / "out"), "--zip", stdout=StringIO()
        )

    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [
        "Boom Bap Kit",
        "Boom Bap Kit 2",
        "Boom Bap Kit 2.zip",
        "Boom Bap Kit.zip",
    ]

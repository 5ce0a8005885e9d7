"""The Similar and Duplicates pages."""

from datetime import timedelta

import pytest
import soundfile as sf
from django.urls import reverse
from django.utils import timezone

from imports.importing import import_file
from library.models import DuplicateScan
from library.tasks import analyze_sample, scan_duplicates
from tests import audiogen

pytestmark = pytest.mark.django_db
HTMX_SCAN = {"HX-Request": "true", "HX-Target": "duplicate-scan"}


@pytest.fixture
def library(user, tmp_path):
    """A few analysed sounds and an MP3 copy of the kick."""
    sounds = {
        "kick.wav": audiogen.kick(),
        "snare.wav": audiogen.snare(),
        "hat.wav": audiogen.closed_hat(),
        "chords.wav": audiogen.chord("C", "major", 2.0),
        "beat.wav": audiogen.drum_loop(100, 1),
    }
    samples = {}
    for name, audio in sounds.items():
        path = tmp_path / name
        sf.write(path, audio, audiogen.SR)
        samples[name] = import_file(user, path, name).sample
    copy = tmp_path / "kick copy.mp3"
    sf.write(copy, audiogen.kick(), audiogen.SR, format="MP3")
    samples["kick copy.mp3"] = import_file(user, copy, copy.name).sample
    for sample in samples.values():
        analyze_sample(sample.pk)
    return samples


def test_similar_page_puts_the_reencoded_copy_first(client_for, user, library):
    kick = library["kick.wav"]
    response = client_for(user).get(reverse("library:similar", args=[kick.pk]))
    names = [sample.name for sample in response.context["samples"]]
    assert names[0] == "kick copy"
    assert "kick" not in names  # never itself


def test_similar_within_the_current_filters(client_for, user, library):
    kick = library["kick.wav"]
    response = client_for(user).get(reverse("library:similar", args=[kick.pk]), {"kind": "loop"})
    assert [sample.name for sample in response.context["samples"]] == ["beat"]


def test_similar_is_owner_only(client_for, other_user, library):
    url = reverse("library:similar", args=[library["kick.wav"].pk])
    assert client_for(other_user).get(url).status_code == 404


def test_duplicates_page_scans_in_the_background_then_lists_the_copy(client_for, user, library):
    client = client_for(user)
    page = client.get(reverse("library:duplicates"))
    assert page.context["scan"] is None
    assert b"Find duplicates" in page.content

    response = client.post(reverse("library:scan_duplicates"))
    assert response.status_code == 302
    scan = DuplicateScan.objects.get(owner=user)
    assert scan.status == DuplicateScan.Status.PENDING
    # A second click joins the scan that is waiting rather than starting another.
    client.post(reverse("library:scan_duplicates"))
    assert DuplicateScan.objects.filter(owner=user).count() == 1

    polled = client.get(reverse("library:duplicates"), headers=HTMX_SCAN)
    assert polled.status_code == 200 and b'hx-trigger="every 1s"' in polled.content
    assert b"mainnav" not in polled.content  # The progress only, not the page.

    assert scan_duplicates(scan.pk) == DuplicateScan.Status.DONE
    assert scan_duplicates(scan.pk) == "skipped"  # A repeated delivery.
    scan.refresh_from_db()
    assert scan.samples_compared == len(library)
    assert scan.checked_pairs == scan.candidate_pairs > 0

    done = client.get(reverse("library:duplicates"), headers=HTMX_SCAN)
    assert done.status_code == 286  # Stops polling, shows the groups.
    assert b"kick copy" in done.content and b"every 1s" not in done.content
    groups = client.get(reverse("library:duplicates")).context["groups"]
    assert any({s.name for s in samples} == {"kick", "kick copy"} for _reason, samples in groups)
    assert not any("snare" in {s.name for s in samples} for _reason, samples in groups)


def test_trashing_a_copy_resolves_its_group(client_for, user, library):
    client = client_for(user)
    client.post(reverse("library:scan_duplicates"))
    scan_duplicates(DuplicateScan.objects.get(owner=user).pk)
    copy = library["kick copy.mp3"]
    back = client.post(
        reverse("library:trash_sample", args=[copy.pk]),
        {"next": reverse("library:duplicates")},
    )
    assert back.url == reverse("library:duplicates")
    groups = client.get(reverse("library:duplicates")).context["groups"]
    assert not any("kick" in {s.name for s in samples} for _reason, samples in groups)


@pytest.mark.parametrize("elsewhere", ["https://example.com/", "//example.com/", "/\\example.com/"])
def test_trash_refuses_to_send_the_browser_elsewhere(client_for, user, library, elsewhere):
    response = client_for(user).post(
        reverse("library:trash_sample", args=[library["snare.wav"].pk]), {"next": elsewhere}
    )
    assert response.url == reverse("library:index")


def test_a_scan_whose_worker_vanished_gives_way_to_a_new_one(client_for, user, library):
    client = client_for(user)
    client.post(reverse("library:scan_duplicates"))
    lost = DuplicateScan.objects.get(owner=user)
    DuplicateScan.objects.filter(pk=lost.pk).update(
        status=DuplicateScan.Status.RUNNING, created_at=timezone.now() - timedelta(days=1)
    )
    client.post(reverse("library:scan_duplicates"))
    lost.refresh_from_db()
    assert lost.status == DuplicateScan.Status.FAILED and "worker" in lost.error
    assert DuplicateScan.objects.owned_by(user).active().count() == 1


def test_duplicate_scans_are_owner_only(client_for, user, other_user, library):
    client_for(user).post(reverse("library:scan_duplicates"))
    scan_duplicates(DuplicateScan.objects.get(owner=user).pk)
    theirs = client_for(other_user).get(reverse("library:duplicates"))
    assert theirs.context["scan"] is None and theirs.context["groups"] == []

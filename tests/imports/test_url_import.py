"""Importing from a link, against a real HTTP server on 127.0.0.1."""

import gzip
import ipaddress
import socket

import pytest

from imports.models import Batch
from imports.sources import REFUSED_HINT, import_url
from imports.tasks import import_url_task
from library.models import Sample
from tests.files import LocalServer, Route, wav_bytes, zip_bytes
from tests.imports.test_importing import scratch_files, stored_files

pytestmark = pytest.mark.django_db


def url_batch(owner, url) -> Batch:
    return Batch.objects.start(
        owner, source=Batch.Source.URL, name=url, total_files=1, source_url=url
    )


def test_a_linked_wav_is_imported(user, http_server):
    http_server.routes["/sounds/kick.wav"] = Route(
        wav_bytes(), headers={"Content-Type": "audio/wav"}
    )
    batch = import_url(url_batch(user, http_server.url("/sounds/kick.wav")))
    assert batch.status == Batch.Status.COMPLETED
    assert Sample.objects.get().original_filename == "kick.wav"


def test_a_linked_zip_is_unpacked(user, http_server):
    http_server.routes["/pack.zip"] = Route(
        zip_bytes({"Loops/a.wav": wav_bytes(0.4, 220), "Loops/b.wav": wav_bytes(0.4, 330)})
    )
    batch = import_url(url_batch(user, http_server.url("/pack.zip")))
    assert batch.imported_count == 2
    assert batch.total_files == batch.processed_files == 2
    assert set(Sample.objects.values_list("source_path", flat=True)) == {"pack/Loops"}


def test_a_linked_zip_of_its_own_folder_unpacks_as_that_folder(user, http_server):
    http_server.routes["/DustyPack.zip"] = Route(
        zip_bytes({"DustyPack/Loops/a.wav": wav_bytes(0.4, 220)})
    )
    import_url(url_batch(user, http_server.url("/DustyPack.zip")))
    assert set(Sample.objects.values_list("source_path", flat=True)) == {"DustyPack/Loops"}


def test_file_name_comes_from_content_disposition_or_the_content(user, http_server):
    http_server.routes["/download?id=7"] = Route(
        wav_bytes(), headers={"Content-Disposition": 'attachment; filename="Snare 07.wav"'}
    )
    http_server.routes["/get"] = Route(wav_bytes(0.2, 999))
    import_url(url_batch(user, http_server.url("/download?id=7")))
    import_url(url_batch(user, http_server.url("/get")))
    assert set(Sample.objects.values_list("original_filename", flat=True)) == {
        "Snare 07.wav",
        "get.wav",
    }


def test_redirects_are_followed(user, http_server):
    http_server.routes["/old"] = Route(redirect="/new.wav")
    http_server.routes["/new.wav"] = Route(wav_bytes())
    assert import_url(url_batch(user, http_server.url("/old"))).imported_count == 1


@pytest.mark.parametrize(
    ("path", "route", "message"),
    [
        ("/missing.wav", None, "The server answered 404"),
        ("/broken.wav", Route(b"oops", status=500), "The server answered 500"),
        ("/loop", Route(redirect="/loop"), "redirects too many times"),
        ("/huge.wav", Route(bytes(3 * 1024 * 1024)), "over the 2 MB limit"),
        ("/unsized.wav", Route(bytes(3 * 1024 * 1024), unsized=True), "it was stopped"),
        ("/slow.wav", Route(wav_bytes(), delay=3), "did not answer in time"),
        ("/text", Route(b"<html>hello</html>"), "Not an audio file"),
    ],
)
def test_link_failures_fail_the_batch_with_a_reason(
    user, http_server, settings, path, route, message
):
    settings.URL_IMPORT_MAX_MB = 2
    settings.URL_IMPORT_TIMEOUT = 1
    if route:
        http_server.routes[path] = route
    batch = import_url(url_batch(user, http_server.url(path)))
    assert message in (batch.error or batch.items.get().error)
    assert batch.processed_files == batch.total_files
    assert not Sample.objects.exists()
    assert stored_files() == []
    assert scratch_files() == []


def test_an_unreachable_host_fails_with_a_reason(user):
    # Nothing listens on port 9 of the loopback address.
    batch = import_url(url_batch(user, "http://127.0.0.1:9/kick.wav"))
    assert batch.status == Batch.Status.FAILED
    assert "Could not connect to 127.0.0.1" in batch.error


def test_only_web_links_are_accepted(user):
    batch = import_url(url_batch(user, "file:///etc/passwd"))
    assert "Only http:// and https://" in batch.error


def test_the_task_runs_a_link_once_and_repeats_cleanly(user, http_server):
    http_server.routes["/a.wav"] = Route(wav_bytes())
    batch = url_batch(user, http_server.url("/a.wav"))
    assert import_url_task(batch.pk) == Batch.Status.COMPLETED
    assert import_url_task(batch.pk) == "skipped"
    # A delivery that died part-way is run again from a clean count.
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.RUNNING)
    assert import_url_task(batch.pk) == Batch.Status.COMPLETED
    batch.refresh_from_db()
    assert (batch.total_files, batch.processed_files, batch.duplicate_count) == (1, 1, 1)
    assert batch.items.count() == 1


def lan_address() -> str | None:
    """This machine's address on its network, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # No packet is sent.
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if ipaddress.ip_address(address).is_loopback else address


@pytest.mark.parametrize("policy", ["lan", "no"])
def test_links_to_this_machine_are_refused_like_a_closed_port(user, http_server, settings, policy):
    http_server.routes["/kick.wav"] = Route(wav_bytes())
    settings.URL_ALLOW_PRIVATE = policy  # The fixture allowed loopback; take it back.

    open_port = import_url(url_batch(user, http_server.url("/kick.wav")))
    closed_port = import_url(url_batch(user, "http://127.0.0.1:9/kick.wav"))
    link_local = import_url(url_batch(user, "http://169.254.169.254/latest/meta-data"))

    # The same words for an open and a closed port; the hint comes from the link alone.
    assert open_port.error == closed_port.error == f"Could not connect to 127.0.0.1.{REFUSED_HINT}"
    assert link_local.error == f"Could not connect to 169.254.169.254.{REFUSED_HINT}"
    named = import_url(
        url_batch(user, http_server.url("/kick.wav").replace("127.0.0.1", "localhost"))
    )
    assert named.error == f"Could not connect to localhost.{REFUSED_HINT}"
    assert not Sample.objects.exists()


def test_every_redirect_is_checked(user, settings):
    address = lan_address()
    if address is None:
        pytest.skip("This machine has no network address besides loopback.")
    inside, lan = LocalServer(), LocalServer(address)
    for server in (inside, lan):
        server.thread.start()
    try:
        inside.routes["/kick.wav"] = Route(wav_bytes())
        lan.routes["/pack"] = Route(redirect=inside.url("/kick.wav"))
        settings.URL_ALLOW_PRIVATE = "lan"
        refused = import_url(url_batch(user, lan.url("/pack")))
        settings.URL_ALLOW_PRIVATE = "no"
        no_lan = import_url(url_batch(user, lan.url("/pack")))
    finally:
        for server in (inside, lan):
            server.httpd.shutdown()
            server.httpd.server_close()

    assert refused.error == f"Could not connect to 127.0.0.1.{REFUSED_HINT}"
    assert no_lan.error == f"Could not connect to {address}.{REFUSED_HINT}"


def test_a_link_that_drips_is_stopped(user, http_server, settings, monkeypatch):
    monkeypatch.setattr("imports.sources.RATE_GRACE_SECONDS", 0.5)
    settings.URL_IMPORT_MIN_KBPS = 1
    http_server.routes["/drip.wav"] = Route(wav_bytes(), drip=0.2)

    batch = import_url(url_batch(user, http_server.url("/drip.wav")))

    assert batch.status == Batch.Status.FAILED
    assert "slower than 1 KB/s" in batch.error


def test_a_download_past_its_deadline_is_stopped(user, http_server, settings):
    settings.URL_IMPORT_DEADLINE = 1
    http_server.routes["/long.wav"] = Route(wav_bytes(), drip=0.05)

    batch = import_url(url_batch(user, http_server.url("/long.wav")))

    assert "took longer than" in batch.error


def test_a_gzip_answer_that_inflates_like_a_bomb_is_stopped(user, http_server):
    packed = gzip.compress(bytes(40 * 1024 * 1024))
    http_server.routes["/bomb.wav"] = Route(packed, headers={"Content-Encoding": "gzip"})

    batch = import_url(url_batch(user, http_server.url("/bomb.wav")))

    assert "times what the server sent" in batch.error
    assert scratch_files() == []

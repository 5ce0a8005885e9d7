"""Slow requests and queries are written to data/logs/slow.jsonl and listed for staff."""

import json
import logging

import pytest
from django.db import connection
from django.urls import reverse

from core import slowlog

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.slowlog_urls")]

MIDDLEWARE = "core.slowlog.SlowLogMiddleware"
KITS = "/kits/"  # A page of the site with a few queries.


@pytest.fixture(autouse=True)
def slow_log_on(settings):
    """The middleware first, as settings.py has it, with both kinds off until a test says."""
    assert settings.MIDDLEWARE[0] == MIDDLEWARE
    settings.SLOW_REQUEST_MS = -1
    settings.SLOW_QUERY_MS = -1


def logged() -> list[dict]:
    """Every entry of the current log file, oldest first."""
    path = slowlog.log_path()
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_every_query_of_a_request_is_logged_with_its_path_and_user(settings, client_for, user):
    settings.SLOW_QUERY_MS = 0

    client_for(user).get(f"{KITS}?sort=name")

    entries = logged()
    assert entries and {entry["kind"] for entry in entries} == {"query"}
    assert {(entry["method"], entry["path"], entry["user_id"]) for entry in entries} == {
        ("GET", f"{KITS}?sort=name", user.pk)
    }
    [kits_query] = [entry for entry in entries if 'FROM "kits_kit"' in entry["sql"]]
    assert "%s" in kits_query["sql"] and kits_query["params"] == f"({user.pk},)"
    assert all(entry["ms"] >= 0 and entry["database"] == "default" for entry in entries)


def test_session_keys_and_password_hashes_are_never_logged(settings, client, user):
    settings.SLOW_QUERY_MS = 0
    password = "correct horse battery"
    client.post(reverse("accounts:login"), {"username": "alice", "password": password})
    new_password = {"new_password1": "staple 4 battery", "new_password2": "staple 4 battery"}

    client.post(reverse("accounts:password_change"), {"old_password": password, **new_password})

    user.refresh_from_db()
    assert user.check_password("staple 4 battery")
    text = slowlog.log_path().read_text()
    sql = [entry["sql"] for entry in logged()]
    assert any('"django_session"' in query for query in sql)
    assert any(query.startswith('UPDATE "auth_user" SET "password"') for query in sql)
    assert client.session.session_key not in text and user.password not in text


def test_a_slow_request_is_logged_with_its_status_and_time(settings, client_for, user):
    settings.SLOW_REQUEST_MS = 0

    client_for(user).get("/no-such-page/")

    [entry] = logged()  # Queries stay off: SLOW_QUERY_MS is negative.
    assert entry["kind"] == "request"
    assert entry["status"] == 404 and entry["path"] == "/no-such-page/"
    assert entry["user_id"] == user.pk and entry["ms"] > 0


def test_a_request_faster_than_both_thresholds_writes_nothing(settings, client_for, user):
    settings.SLOW_REQUEST_MS = 60_000
    settings.SLOW_QUERY_MS = 60_000

    assert client_for(user).get(KITS).status_code == 200

    assert not slowlog.log_path().exists()


def test_queries_after_the_request_are_not_timed(settings, client_for, user):
    """Background tasks and commands run no middleware: only a request's queries are timed."""
    settings.SLOW_QUERY_MS = 0
    client_for(user).get(KITS)
    written = slowlog.log_path().read_text()

    assert connection.execute_wrappers == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    client_for(user).get("/no-such-page/")  # Writes this request's own queries only.
    assert "SELECT 1" not in slowlog.log_path().read_text()
    assert slowlog.log_path().read_text().startswith(written)


def test_an_entry_stays_small_however_big_its_query(settings, client_for, user):
    settings.SLOW_QUERY_MS = 0

    client_for(user).get("/huge-query/")

    lines = slowlog.log_path().read_bytes().splitlines()
    huge = [json.loads(line) for line in lines if b"kit4999" in line or b"more characters" in line]
    assert huge and "xxxx" in huge[0]["params"]
    assert max(len(line) for line in lines) < 4 * 1024


def test_the_log_rotates_and_is_read_across_its_files(settings, client_for, user, monkeypatch):
    monkeypatch.setattr(slowlog, "MAX_BYTES", 3000)
    settings.SLOW_QUERY_MS = 0
    client = client_for(user)

    for number in range(12):
        client.get(f"{KITS}?n={number}")

    files = [path for path in slowlog.log_files() if path.exists()]
    assert len(files) == 1 + slowlog.BACKUPS
    assert all(path.stat().st_size <= 3000 for path in files)
    entries = slowlog.newest_entries()
    assert entries[0].path == f"{KITS}?n=11"
    assert len(entries) > len(slowlog.log_path().read_text().splitlines())


def test_processes_sharing_the_log_never_write_into_a_backup(tmp_path):
    """gunicorn's workers each hold the file: after one rotates it, the other follows."""
    path = tmp_path / "shared.jsonl"
    first, second = (
        slowlog.SharedRotatingFileHandler(path, maxBytes=200, backupCount=50, delay=True)
        for _ in range(2)
    )
    for number in range(60):
        writer = first if number % 3 else second
        writer.handle(logging.makeLogRecord({"msg": f"line {number:04d}"}))
    first.close()
    second.close()

    backups = sorted(tmp_path.glob("shared.jsonl.*"), key=lambda p: -int(p.suffix[1:]))
    lines = [line for file in [*backups, path] for line in file.read_text().splitlines()]
    assert lines == [f"line {number:04d}" for number in range(60)]


def test_staff_see_the_newest_entries_and_thresholds(settings, client_for, user, staff_user):
    settings.SLOW_QUERY_MS = 0
    client_for(user).get(f"{KITS}?first")
    client_for(user).get(f"{KITS}?second")
    settings.SLOW_QUERY_MS = 50
    settings.SLOW_REQUEST_MS = -1

    response = client_for(staff_user).get(reverse("core:slow_log"))

    assert response.status_code == 200
    entries = response.context["entries"]
    assert entries[0].path == f"{KITS}?second" and entries[-1].path == f"{KITS}?first"
    assert [entry.at for entry in entries] == sorted((entry.at for entry in entries), reverse=True)
    page = response.content.decode()
    assert "slower than 50 ms" in page and "Requests: not logged" in page
    assert "auth_user" in page and "Line to copy" in page
    assert f'href="{reverse("core:slow_log")}"' in page  # The staff nav's link.


def test_other_users_get_a_404_and_no_link(client_for, client, user):
    url = reverse("core:slow_log")
    assert client.get(url).status_code == 302  # To the login page.

    assert client_for(user).get(url).status_code == 404
    assert url not in client_for(user).get(KITS).content.decode()


def test_a_garbled_line_is_skipped(client_for, staff_user):
    good = {"kind": "query", "at": "2025-01-02T03:04:05+00:00", "ms": 75.5, "path": "/",
            "method": "GET", "user_id": 1, "sql": "SELECT 1", "params": "()"}  # fmt: skip
    slowlog.log_path().parent.mkdir(parents=True)
    slowlog.log_path().write_text(
        "\n".join(
            [
                json.dumps(good),
                "{not json",
                "[1, 2]",
                json.dumps({**good, "at": "yesterday"}),
                json.dumps({**good, "kind": "banana"}),
                json.dumps({**good, "user_id": "<script>"}),
                "\x00\xff binary",
                json.dumps({**good, "ms": 99}),
                '{"kind": "query", "at": "2025-01-02T03:0',  # Torn by a crash mid-write.
            ]
        )
    )

    response = client_for(staff_user).get(reverse("core:slow_log"))

    assert response.status_code == 200
    assert [entry.ms for entry in response.context["entries"]] == [99, 75.5]

"""Settings come from the environment with safe defaults and clear errors."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from sp404site import settings as site_settings


def test_env_bool_reads_common_words(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert site_settings.env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "off")
    assert site_settings.env_bool("X_FLAG", True) is False
    monkeypatch.delenv("X_FLAG")
    assert site_settings.env_bool("X_FLAG", True) is True


def test_env_bool_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        site_settings.env_bool("X_FLAG", False)


def test_env_int_rejects_words_and_small_numbers(monkeypatch):
    monkeypatch.setenv("X_NUMBER", "many")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        site_settings.env_int("X_NUMBER", 1)
    monkeypatch.setenv("X_NUMBER", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        site_settings.env_int("X_NUMBER", 1, minimum=1)
    monkeypatch.setenv("X_NUMBER", "7")
    assert site_settings.env_int("X_NUMBER", 1) == 7


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = site_settings.read_or_create_secret_key(tmp_path)
    assert len(first) > 40
    assert site_settings.read_or_create_secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_task_retry_is_longer_than_the_timeout():
    cluster = site_settings.Q_CLUSTER
    assert cluster["retry"] > cluster["timeout"]
    assert cluster["max_attempts"] > 0


@pytest.mark.django_db
def test_sqlite_connection_is_set_up_for_a_server_with_a_worker(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite settings only apply when DATABASE_URL is not set")
    options = connection.settings_dict["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    # Apply the same start-up commands to a file database (the test database
    # lives in memory, where WAL does not exist) and read them back.
    database = sqlite3.connect(tmp_path / "check.sqlite3")
    database.executescript(options["init_command"])
    assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert database.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert database.execute("PRAGMA busy_timeout").fetchone()[0] == 20000
    database.close()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1


def test_deploy_check_passes_behind_https(subprocess_env):
    """With SP404_HTTPS on, Django's deployment checklist has nothing to warn about."""
    env = {**subprocess_env, "SP404_HTTPS": "1"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr

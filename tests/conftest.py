"""Fixtures shared by the whole suite."""

import pytest
from django.contrib.auth import get_user_model

pytest_plugins = ["tests.files"]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Everything a test writes goes to its own data directory."""
    root = tmp_path / "data"
    settings.DATA_DIR = root
    settings.MEDIA_ROOT = root / "media"
    settings.EXPORT_ROOT = root / "exports"
    settings.BACKUP_ROOT = root / "backups"
    settings.SCRATCH_ROOT = root / "tmp"
    settings.FILE_UPLOAD_TEMP_DIR = root / "tmp" / "uploads"
    # Tests render pages without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    for folder in (settings.MEDIA_ROOT, settings.EXPORT_ROOT, settings.BACKUP_ROOT,
                   settings.FILE_UPLOAD_TEMP_DIR):  # fmt: skip
        folder.mkdir(parents=True)
    return root


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """PBKDF2 spends a quarter of a second per password by design; tests need none of that."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db):
    """Create users with a known password."""

    def make(username="alice", *, staff=False, password="correct horse battery"):
        return get_user_model().objects.create_user(
            username=username, password=password, is_staff=staff, is_superuser=staff
        )

    return make


@pytest.fixture
def user(make_user):
    return make_user("alice")


@pytest.fixture
def other_user(make_user):
    return make_user("bob")


@pytest.fixture
def staff_user(make_user):
    return make_user("admin", staff=True)


@pytest.fixture
def client_for(client):
    """A test client logged in as the given user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def make_sample(db):
    """Create a sample row without audio (for model, view and admin tests)."""
    from library.models import Sample

    counter = iter(range(1, 1_000_000))

    def make(owner, **fields):
        number = next(counter)
        values = {
            "name": f"Sample {number}",
            "file": f"audio/{number:064x}.wav",
            "original_filename": f"sample{number}.wav",
            "sha256": f"{number:064x}",
            "file_size": 1000,
            "format": "wav",
            "duration": 1.0,
            "sample_rate": 48000,
            "channels": 2,
            "bit_depth": 16,
        }
        values.update(fields)
        return Sample.objects.create(owner=owner, **values)

    return make


@pytest.fixture
def subprocess_env(tmp_path):
    """Environment for running manage.py in a child process with its own data dir."""
    import os

    env = {**os.environ, "SP404_DATA_DIR": str(tmp_path / "child-data"), "DATABASE_URL": ""}
    # Set for Playwright's event loop in this process; never for a real server.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


@pytest.fixture
def make_features(db):
    """Give a sample a row of plausible measured features (overrides as keywords)."""
    from library.models import AudioFeatures

    def make(sample, **fields):
        values = {
            "onset_rate": 2.0,
            "kind": "one-shot",
            "kind_confidence": 0.9,
            "category": "kick",
            "category_confidence": 0.8,
            "spectral_centroid": 300.0,
            "spectral_rolloff": 900.0,
            "spectral_bandwidth": 400.0,
            "spectral_flatness": 0.01,
            "zero_crossing_rate": 0.02,
            "rms": 0.2,
            "peak": 0.9,
            "harmonic_ratio": 0.3,
            "feature_vector": b"",
        }
        values.update(fields)
        return AudioFeatures.objects.create(sample=sample, **values)

    return make

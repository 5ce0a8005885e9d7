"""Wrong passwords lock the account, and the address they come from, for a while."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # What tests/conftest.py's make_user gives everyone.


def log_in(client, username, password, address="192.168.1.50"):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_five_wrong_passwords_lock_the_account_until_the_time_has_passed(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "alice", "guess").status_code == 200  # The form again.

    locked = log_in(client, "alice", "guess")
    assert locked.status_code == 429
    assert "Too many wrong passwords" in locked.content.decode()
    assert "Try again in 15 minutes" in locked.content.decode()
    # Locked means locked: the right password from another address does not get in.
    assert log_in(client, "alice", PASSWORD, address="192.168.1.77").status_code == 429

    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert log_in(client, "alice", PASSWORD).status_code == 302  # Logged in.


def test_one_address_trying_many_accounts_is_locked_out(client, make_user, settings):
    make_user("carol")
    for number in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"user{number}", "guess", address="10.0.0.9")

    assert log_in(client, "carol", PASSWORD, address="10.0.0.9").status_code == 429
    assert log_in(client, "carol", PASSWORD, address="10.0.0.10").status_code == 302


def test_a_right_password_resets_the_count(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "alice", "guess")
    assert log_in(client, "alice", PASSWORD).status_code == 302
    client.logout()

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "alice", "guess").status_code == 200

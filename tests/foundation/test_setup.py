"""First-run setup: only on an installation without accounts, and only once."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase"


def test_fresh_install_sends_every_page_to_setup(client):
    response = client.get(reverse("library:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:setup")


def test_setup_creates_a_staff_account_and_logs_in(client):
    response = client.post(
        reverse("accounts:setup"),
        {"username": "dilla", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    user = get_user_model().objects.get()
    assert user.username == "dilla"
    assert user.is_staff
    assert user.is_superuser
    assert client.get(reverse("library:index")).status_code == 200


def test_setup_is_gone_once_an_account_exists(client, user):
    assert client.get(reverse("accounts:setup")).status_code == 404
    response = client.post(
        reverse("accounts:setup"),
        {"username": "intruder", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 404
    assert not get_user_model().objects.filter(username="intruder").exists()


def test_setup_shows_form_errors(client):
    response = client.post(
        reverse("accounts:setup"), {"username": "x", "password1": "a", "password2": "b"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not get_user_model().objects.exists()


def test_user_can_change_their_password(client_for, user):
    client = client_for(user)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "correct horse battery",
            "new_password1": PASSWORD,
            "new_password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_login_and_logout(client, user):
    response = client.post(
        reverse("accounts:login"), {"username": "alice", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert client.get(reverse("library:index")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("library:index")).status_code == 302

"""First-run setup: only on an installation without accounts, and only once."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from core import setup_code

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase"


def test_fresh_install_sends_every_page_to_setup(client):
    response = client.get(reverse("library:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:setup")


def first_account(client, code, username="dilla"):
    return client.post(
        reverse("accounts:setup"),
        {"setup_code": code, "username": username, "password1": PASSWORD, "password2": PASSWORD},
    )


def test_setup_creates_a_staff_account_and_logs_in(client):
    assert (
        "setup code printed in the terminal"
        in client.get(reverse("accounts:setup")).content.decode()
    )
    code = setup_code.issue()

    response = first_account(client, f"{code[:3]}-{code[3:]}")  # Typed with a dash.

    assert response.status_code == 302
    assert not setup_code.code_file().exists(), "the code is good for one account only"
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


def test_setup_needs_the_code_from_the_terminal(client):
    setup_code.issue()
    for wrong in ("", "000000" if setup_code.issue() != "000000" else "111111", "code"):
        response = first_account(client, wrong)
        assert response.status_code == 200
        assert "setup_code" in response.context["form"].errors
    assert not get_user_model().objects.exists()


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

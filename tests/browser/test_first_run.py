"""A new user's first minutes, in a real browser."""

import pytest
from django.contrib.auth import get_user_model

from core import setup_code
from tests.browser.conftest import assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long enough passphrase"


def test_first_run_setup_login_and_navigation(page, live_server, screenshot):
    page.goto(live_server.url)
    assert page.url.endswith("/accounts/setup/")
    page.fill("#id_setup_code", setup_code.issue())
    page.fill("#id_username", "dilla")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Library"
    assert "Your library is empty" in page.content()
    assert get_user_model().objects.get().is_staff

    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot("library-empty-laptop")
    page.click("nav.mainnav >> text=Kits")
    assert page.locator("h1").inner_text() == "Kits"
    page.click("nav.mainnav >> text=Exports")
    assert page.locator("h1").inner_text() == "Exports"

    page.set_viewport_size({"width": 390, "height": 844})
    for name in ("Kits", "Exports", "Library"):
        page.click(f"nav.mainnav >> text={name}")
        page.wait_for_selector(f"h1:has-text('{name}')")
        assert_no_horizontal_scroll(page)
    screenshot("library-empty-phone")

    page.click("text=Log out")
    page.wait_for_url("**/accounts/login/**")
    page.goto(live_server.url)
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "dilla")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    # The setup page is gone once an account exists.
    response = page.goto(f"{live_server.url}/accounts/setup/")
    assert response.status == 404

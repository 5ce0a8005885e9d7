"""Every page has an icon: no request the browser makes on its own ends in a 404."""

import pytest

from tests.browser.test_import import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pages_link_an_icon_that_is_served(page, live_server, screenshot):
    failures = []
    page.on(
        "response",
        lambda response: response.status >= 400 and failures.append(response.url),
    )
    log_in(page, live_server)
    page.goto(f"{live_server.url}/exports/")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    served = page.request.get(f"{live_server.url}{icon}")
    assert served.status == 200
    assert served.headers["content-type"].startswith("image/svg+xml")
    # Pages without the link (the admin) and other clients ask for /favicon.ico.
    fallback = page.request.get(f"{live_server.url}/favicon.ico")
    assert fallback.status == 200 and fallback.body() == served.body()
    assert failures == []
    page.set_viewport_size({"width": 160, "height": 160})
    page.set_content(f'<body style="margin:16px"><img src="{live_server.url}{icon}" width="128">')
    page.wait_for_function("document.images[0].complete && document.images[0].naturalWidth > 0")
    screenshot("favicon")

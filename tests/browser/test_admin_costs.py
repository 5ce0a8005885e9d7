"""The admin's cost review in a real browser: money reads as money."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from vibe.models import ApiUsage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cost_review_shows_amounts_with_the_currency(page, live_server, screenshot):
    get_user_model().objects.create_superuser("boss", password="a long enough passphrase")
    for cost in ("0.00030800", "0.00061600"):
        ApiUsage.objects.create(model="openai/gpt-4o-mini", operation="single", cost=Decimal(cost))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/vibe/apiusage/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "a long enough passphrase")
    page.click("input[type=submit]")
    page.wait_for_selector("#usage-totals")
    assert "cost 0.000924 USD" in page.inner_text("#usage-totals")
    assert "0.000308 USD" in page.inner_text("#result_list")
    screenshot("admin-cost-review")

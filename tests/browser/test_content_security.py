"""Every page works under the Content-Security-Policy: no inline script or style is blocked."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from exports.models import Export
from imports.models import Batch
from kits.models import Kit
from library.models import Sample
from tests import audiogen
from tests.files import write_audio
from tests.foundation.test_access import all_url_names

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Pages a browser opens with GET (the rest only take a form's POST).
PAGES = [
    "library:index", "library:sample_detail", "library:similar", "library:duplicates",
    "library:trash", "library:tags", "imports:batch_list", "imports:batch_detail", "vibe:usage",
    "kits:index", "kits:kit_detail", "kits:fill", "exports:index",
    "exports:new", "exports:export_detail", "accounts:password_change",
    "admin:index", "admin:library_sample_changelist", "admin:core_sitepreferences_change",
]  # fmt: skip
# Listen from the first byte of every page for what the policy blocks.
WATCH = """
window.__blocked = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__blocked.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def strict_page(browser):
    """A page that honours the policy, unlike the suite's usual one."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_every_page_runs_without_a_policy_violation(
    strict_page, live_server, tmp_path, tasks_inline
):
    page = strict_page
    from imports.importing import import_file

    user = get_user_model().objects.create_superuser("mpc", password="a long enough passphrase")
    sample = import_file(
        user, write_audio(tmp_path / "kick.wav", audiogen.kick()), "kick.wav"
    ).sample
    sample.add_tag("dusty")
    kit = Kit.objects.create(owner=user, name="Kit")
    kit.assign("A", 13, Sample.objects.get(pk=sample.pk))
    objects = {
        "library": sample.pk, "imports": Batch.objects.start(user, source="upload", name="b").pk,
        "kits": kit.pk, "exports": Export.objects.create(owner=user, name="e", source="selection").pk,
        "admin": 1,
    }  # fmt: skip
    page.add_init_script(WATCH)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "mpc")
    page.fill("#id_password", "a long enough passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    patterns = dict(all_url_names())
    blocked = {}

    for name in PAGES:
        keys = patterns[name].pattern.converters
        url = reverse(name, kwargs={key: objects[name.split(":")[0]] for key in keys})
        response = page.goto(f"{live_server.url}{url}")
        assert response.status < 400, name
        assert "Content-Security-Policy" in {key.title() for key in response.headers}, name
        page.wait_for_load_state("networkidle")
        if found := page.evaluate("window.__blocked"):
            blocked[name] = found

    assert blocked == {}

"""Two tabs (or more) changing the same pads at once: never a server error, one row per pad."""

import threading

import pytest
import requests
from django.test import Client
from django.urls import reverse

from kits.models import Kit, KitPad

pytestmark = pytest.mark.django_db(transaction=True)

TABS = 8


def browser_tab(live_server, user, kit):
    """A logged-in HTTP session with a CSRF token, like one open browser tab."""
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    session.get(f"{live_server.url}{reverse('kits:kit_detail', args=[kit.pk])}", timeout=30)
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    return session


def run_together(jobs):
    """Start every job at the same moment; return their answers' status codes."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(index, job):
        barrier.wait()
        try:
            results[index] = job()
        except Exception as error:  # reported in the assertion below
            results[index] = repr(error)

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_concurrent_assignments_to_one_pad_leave_exactly_one_row(live_server, user, make_sample):
    kit = Kit.objects.create(owner=user, name="Race")
    samples = [make_sample(user, name=f"Take {number}") for number in range(TABS)]
    tabs = [browser_tab(live_server, user, kit) for _ in range(TABS)]
    url = f"{live_server.url}{reverse('kits:assign', args=[kit.pk])}"

    def job(tab, sample, htmx):
        headers = {"HX-Request": "true", "HX-Target": "pad-A-1"} if htmx else {}
        data = {"bank": "A", "pad_number": 1, "sample": sample.pk}
        return tab.post(url, data, headers=headers, allow_redirects=False, timeout=60).status_code

    jobs = [
        (lambda tab=tab, sample=sample, index=index: job(tab, sample, index % 2 == 0))
        for index, (tab, sample) in enumerate(zip(tabs, samples, strict=True))
    ]
    statuses = run_together(jobs)
    assert sorted(statuses, key=str) == sorted([200] * (TABS // 2) + [302] * (TABS // 2))
    pad = KitPad.objects.get(kit=kit, bank="A", pad_number=1)
    assert pad.sample in samples


def test_concurrent_moves_clears_and_assignments_never_fail(live_server, user, make_sample):
    kit = Kit.objects.create(owner=user, name="Busy")
    samples = [make_sample(user) for _ in range(4)]
    kit.assign("A", 1, samples[0])
    kit.assign("A", 2, samples[1])
    tabs = [browser_tab(live_server, user, kit) for _ in range(6)]

    def post(tab, name, data):
        url = f"{live_server.url}{reverse(name, args=[kit.pk])}"
        headers = {"HX-Request": "true", "HX-Target": "pad-A-2"}
        return lambda: tab.post(url, data, headers=headers, timeout=60).status_code

    statuses = run_together([
        post(tabs[0], "kits:move", {"from_bank": "A", "from_pad": 1, "bank": "A", "pad_number": 2}),
        post(tabs[1], "kits:move", {"from_bank": "A", "from_pad": 2, "bank": "A", "pad_number": 3}),
        post(tabs[2], "kits:assign", {"bank": "A", "pad_number": 2, "sample": samples[2].pk}),
        post(tabs[3], "kits:assign", {"bank": "A", "pad_number": 3, "sample": samples[3].pk}),
        post(tabs[4], "kits:clear", {"bank": "A", "pad_number": 1}),
        post(tabs[5], "kits:move", {"from_bank": "A", "from_pad": 3, "bank": "A", "pad_number": 1}),
    ])  # fmt: skip
    assert statuses == [200] * 6
    positions = list(kit.pads.values_list("bank", "pad_number"))
    assert len(positions) == len(set(positions)) <= 3

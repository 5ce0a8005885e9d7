"""Staff are told when the library has no recent verified backup, or its last check found problems."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import BackupRecord, IntegrityReport
from core.tasks import weekly_integrity_check

pytestmark = pytest.mark.django_db


def page(client):
    return client.get(reverse("library:index")).content.decode()


def backed_up(days_ago: float, verified=True):
    finished = timezone.now() - timedelta(days=days_ago)
    BackupRecord.objects.create(
        folder="b", started_at=finished, finished_at=finished, verified=verified
    )


def test_staff_hear_about_backups_and_others_do_not(client_for, staff_user, user):
    assert "never been backed up" in page(client_for(staff_user))
    assert "never been backed up" not in page(client_for(user))

    backed_up(days_ago=8)
    assert "over a week ago" in page(client_for(staff_user))
    backed_up(days_ago=0.1, verified=False)
    assert "did not verify" in page(client_for(staff_user))
    backed_up(days_ago=0)
    assert "backup" not in page(client_for(staff_user)).split("<main", 1)[1].split("<h1", 1)[0]


def test_the_weekly_check_reports_what_it_found(client_for, staff_user, make_sample):
    backed_up(days_ago=0)
    make_sample(staff_user, name="Lost")  # A row whose audio file was never stored.

    weekly_integrity_check()

    report = IntegrityReport.objects.get()
    assert report.problems >= 1 and "Lost" in report.report
    assert f"found {report.problems} problems" in page(client_for(staff_user))

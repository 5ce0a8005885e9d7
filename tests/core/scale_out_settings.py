"""Settings for the processes the scale-out test starts: the site's own, plus a probe.

The broker and the database still come from SP404_REDIS_URL and DATABASE_URL,
as on a real scaled-out install.
"""

from sp404site.settings import *  # noqa: F403
from sp404site.settings import INSTALLED_APPS, Q_CLUSTER

INSTALLED_APPS = [*INSTALLED_APPS, "tests.core.scale_out_probe.ProbeConfig"]
# Only what the import queues runs: a schedule falling due mid-test (the first
# check comes 30 s after a cluster starts) would be work the test did not ask for.
Q_CLUSTER = {**Q_CLUSTER, "scheduler": False}

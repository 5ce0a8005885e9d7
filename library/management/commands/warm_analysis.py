"""Run the analysis once on generated audio so later runs start fast."""

import os
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Warm the analysis engine's caches (compiled kernels) so a fresh worker starts fast."

    def handle(self, *args, **options):
        started = time.perf_counter()
        from library.analysis.warm import warm_up  # Here, so that its import is part of the time.

        warm_up()
        elapsed = time.perf_counter() - started
        cache = os.environ.get("NUMBA_CACHE_DIR", "next to librosa's sources")
        self.stdout.write(f"Analysis engine ready ({elapsed:.1f} s); compiled kernels in {cache}.")

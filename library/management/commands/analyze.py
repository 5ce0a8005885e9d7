"""Queue stored samples for audio analysis."""

from django.core.management.base import BaseCommand, CommandError

from library import analysis
from library.management.quiet import library_logs_at_warning
from library.models import Sample
from library.tasks import requeue_analysis


class Command(BaseCommand):
    help = (
        "Queue analysis for stored samples: all of them (--all), the failed ones (--failed), "
        "the pending ones (--pending), or those an older version of the analysis measured "
        "(--outdated), as after an update that improves it. Values set by hand are kept."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--all", action="store_true", help="Every sample not in the trash.")
        group.add_argument("--failed", action="store_true", help="Samples whose analysis failed.")
        group.add_argument(
            "--pending", action="store_true", help="Samples waiting for or stuck in analysis."
        )
        group.add_argument(
            "--outdated",
            action="store_true",
            help="Analysed samples measured by an older version of the analysis (or not at all).",
        )

    def handle(self, *args, **options):
        samples = Sample.objects.alive()
        if options["failed"]:
            samples = samples.filter(status=Sample.Status.FAILED)
        elif options["pending"]:
            samples = samples.filter(status__in=[Sample.Status.PENDING, Sample.Status.ANALYZING])
        elif options["outdated"]:
            samples = samples.ready().analysed_before(analysis.ANALYSIS_VERSION)
        elif not options["all"]:
            raise CommandError("Choose --all, --failed, --pending or --outdated.")
        with library_logs_at_warning(options["verbosity"]):  # Not a queue line per sample.
            count = requeue_analysis(samples)
        self.stdout.write(f"Queued {count} sample{'s' if count != 1 else ''} for analysis.")

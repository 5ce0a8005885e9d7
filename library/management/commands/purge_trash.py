"""Delete samples that have been in the trash for 30 days."""

from django.core.management.base import BaseCommand

from library.models import Sample
from library.trash import TRASH_DAYS, purge


class Command(BaseCommand):
    help = f"Purge samples that have been in the trash for more than {TRASH_DAYS} days."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="Purge everything in the trash, however recent."
        )

    def handle(self, *args, **options):
        samples = (
            Sample.objects.trashed() if options["all"] else Sample.objects.purgeable(TRASH_DAYS)
        )
        count = purge(samples)
        self.stdout.write(f"Purged {count} sample{'s' if count != 1 else ''} from the trash.")

"""Remove temporary files that stopped work left behind (make run does this at start-up)."""

from django.core.management.base import BaseCommand

from library.storage import remove_leftovers


class Command(BaseCommand):
    help = "Delete half-copied audio and scratch files untouched for an hour."

    def handle(self, *args, **options):
        removed = remove_leftovers()
        if removed or options["verbosity"] > 1:
            self.stdout.write(f"Removed {removed} temporary files left behind.")

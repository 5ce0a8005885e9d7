"""Check that the database and the stored audio still hold together; --fix makes the safe repairs."""

from django.core.management.base import BaseCommand, CommandError

from core import integrity


class Command(BaseCommand):
    help = (
        "Check the database and every stored file; exit non-zero when something is wrong. "
        "--fix makes the repairs that are safe (stray files are moved aside, never deleted)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Make the safe repairs.")

    def handle(self, *args, fix, **options):
        problems = integrity.run(fix=fix)
        for problem in problems:
            repaired = " (repaired)" if fix and problem.repair else ""
            self.stdout.write(f"{problem.check}: {problem.message}{repaired}")
        unrepaired = [problem for problem in problems if not (fix and problem.repair)]
        summary = f"{len(integrity.CHECKS)} checks, {len(problems)} problems"
        if fix:
            summary += f", {len(problems) - len(unrepaired)} repaired"
        if unrepaired:
            raise CommandError(f"{summary}: {len(unrepaired)} need attention.")
        self.stdout.write(self.style.SUCCESS(f"{summary}."))

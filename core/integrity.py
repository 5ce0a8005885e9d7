"""Checks that the data still holds together, which each app adds for what it keeps.

A check returns the problems it finds; a problem may carry a repair that is
safe to make (``--fix``): nothing a repair does deletes audio, it moves strays
aside or marks stuck work as failed. The database's own checks are here; the
apps add theirs when they start (``AppConfig.ready``), as the library's bulk
actions are added.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class Problem:
    check: str
    message: str
    repair: Callable[[], None] | None = None  # Safe to run; None when a person must decide.


CHECKS: dict[str, Callable[[], list[Problem]]] = {}


def register(name: str):
    """Decorate a function returning a list of Problem to run it as the check ``name``."""

    def add(check):
        CHECKS[name] = check
        return check

    return add


def run(fix: bool = False) -> list[Problem]:
    """Every check's problems; with ``fix``, the safe repairs are made as they are found."""
    found = []
    for check in CHECKS.values():
        for problem in check():
            if fix and problem.repair is not None:
                problem.repair()
            found.append(problem)
    return found


@register("database")
def database_checks() -> list[Problem]:
    """SQLite's integrity and foreign-key checks (PostgreSQL enforces both as it writes)."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA integrity_check")
        damaged = [row[0] for row in cursor.fetchall() if row[0] != "ok"]
        cursor.execute("PRAGMA foreign_key_check")
        dangling = cursor.fetchall()
    problems = [Problem("database", f"The database file is damaged: {line}") for line in damaged]
    problems += [
        Problem("database", f"Row {row_id} of {table} points at a missing row of {parent}.")
        for table, row_id, parent, _ in dangling
    ]
    return problems

"""Fresh statistics for the database's query planner.

SQLite never gathers them by itself, and without them its planner guesses:
at 100,000 samples, library filters that take 25-40 ms with statistics took
95-270 ms without (tag, favourites, compatible keys with a BPM range, a type
with a category: bench/library.py's queries). So the site refreshes them once
a day, after a migration changes the schema, and when an import batch ends or
the site starts with a library whose size has moved a tenth away from what the
statistics say. PostgreSQL's autovacuum keeps its own, but an ANALYZE after a
large import does no harm.
"""

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections

# How far the sample count may move from the statistics' before they are
# gathered again. Estimates scale with the table, so a tenth more rows keeps
# the planner's choices; a full ANALYZE costs 2.7 s at a million samples,
# which every import batch paid before, while checking costs one count.
STALE_SHARE = 0.1


def refresh(using: str = DEFAULT_DB_ALIAS) -> None:
    """Gather the planner's statistics for the site's tables."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Every row, not a sample (PRAGMA analysis_limit): statistics from
            # 1,000 rows per index left favourites and compatible keys with a
            # BPM range at 90-120 ms instead of 23-26 ms, at 100,000 samples.
            # The full ANALYZE takes 0.3-0.5 s there, 2.7 s at a million
            # (10.7 s from a cold cache; measured).
            cursor.execute("ANALYZE")
            return
        # The site's own tables only: PostgreSQL's system catalogs are
        # autovacuum's business, and analysing them too took 84 ms against
        # 9-21 ms on a new install (measured).
        tables = connection.introspection.django_table_names(only_existing=True)
        if tables:
            cursor.execute("ANALYZE " + ", ".join(map(connection.ops.quote_name, tables)))


def planner_rows(table: str, using: str = DEFAULT_DB_ALIAS) -> int | None:
    """The row count the planner's statistics give for a table, or None without any."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return None
            # One row per index, each starting with the rows it holds: a partial
            # index (live samples, favourites) holds fewer than the table.
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
            counts = [int(stat.split()[0]) for (stat,) in cursor.fetchall()]
            return max(counts) if counts else None
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(table)],
        )
        found = cursor.fetchone()
        # -1: never analysed (PostgreSQL 14 and later).
        return None if found is None or found[0] < 0 else int(found[0])


def stale(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the library's size has moved by STALE_SHARE from what the statistics hold."""
    sample = apps.get_model("library", "Sample")
    believed = planner_rows(sample._meta.db_table, using)
    if believed is None:
        return True
    actual = sample.objects.using(using).count()
    return abs(actual - believed) > STALE_SHARE * believed


def refresh_if_stale(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Gather the statistics when they no longer describe the library; True when it did."""
    if not stale(using):
        return False
    refresh(using)
    return True


def refresh_after_migrate(sender, using=DEFAULT_DB_ALIAS, plan=None, **kwargs) -> None:
    """post_migrate: new tables or indexes need statistics; a start with nothing to
    migrate (every `make run`) gathers them only when they are stale."""
    if plan:
        refresh(using)
    else:
        refresh_if_stale(using)

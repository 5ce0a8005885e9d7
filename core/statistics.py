"""Fresh statistics for the database's query planner.

SQLite never gathers them by itself, and without them its planner guesses:
at 100,000 samples, library filters that take 25-40 ms with statistics took
95-270 ms without (tag, favourites, compatible keys with a BPM range, a type
with a category: bench/library.py's queries). So the site refreshes them after
migrating, when an import batch ends, and once a day. PostgreSQL's autovacuum
keeps its own, but an ANALYZE after a large import does no harm.
"""

from django.db import DEFAULT_DB_ALIAS, connections


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


def refresh_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate: tables were created or changed; a new install starts with statistics."""
    refresh(using)

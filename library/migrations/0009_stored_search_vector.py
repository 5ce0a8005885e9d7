"""PostgreSQL keeps each sample's search tsvector in a stored column, so ranking reads it.

The SQL is this migration's own copy: later changes to the app's search leave it alone.
"""

from django.db import migrations

SETUP = [
    """ALTER TABLE library_sample ADD COLUMN search_vector tsvector
        GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, COALESCE(search_text, ''))) STORED""",
    "CREATE INDEX sample_search_vector_gin ON library_sample USING gin (search_vector)",
    "DROP INDEX IF EXISTS sample_search_text_gin",
]
TEARDOWN = [
    """CREATE INDEX sample_search_text_gin ON library_sample
        USING gin (to_tsvector('simple'::regconfig, COALESCE(search_text, '')))""",
    "DROP INDEX IF EXISTS sample_search_vector_gin",
    "ALTER TABLE library_sample DROP COLUMN IF EXISTS search_vector",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("library", "0008_duplicate_scans")]

    operations = [migrations.RunPython(run(SETUP), run(TEARDOWN))]

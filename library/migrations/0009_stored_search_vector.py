"""PostgreSQL keeps each sample's search tsvector in a stored column, so ranking reads it."""

from django.db import migrations

from library.search import compute_search_vectors, store_search_vectors


class Migration(migrations.Migration):
    dependencies = [("library", "0008_duplicate_scans")]

    operations = [migrations.RunPython(store_search_vectors, compute_search_vectors)]

"""The live samples' category index also holds their type, after the id.

The list's "category, newest first" order is kept, and a type filter beside
a category is tested in the index instead of in each sample's row. Only an
index changes: every row stays, both ways.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0022_slices_of_loops"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="sample",
            name="sample_live_category_id",
        ),
        migrations.AddIndex(
            model_name="sample",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["owner", "category", "-id", "kind"],
                name="sample_live_category_id_kind",
            ),
        ),
    ]

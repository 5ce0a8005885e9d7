"""A genre's live samples in the newest order, from an index: only an index is added."""

import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0023_category_index_holds_the_type"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="sample",
            index=models.Index(
                models.F("owner"),
                django.db.models.functions.text.Lower("genre"),
                models.OrderBy(models.F("id"), descending=True),
                condition=models.Q(("deleted_at__isnull", True)),
                name="sample_live_genre_lower_newest",
            ),
        ),
    ]

"""The genre filter ignores case: an index on the lower-cased genre of live samples."""

import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0011_constraint_messages"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="sample",
            index=models.Index(
                models.F("owner"),
                django.db.models.functions.text.Lower("genre"),
                condition=models.Q(("deleted_at__isnull", True)),
                name="sample_live_genre_lower",
            ),
        ),
    ]

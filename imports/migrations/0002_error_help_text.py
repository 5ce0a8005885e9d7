"""A batch's error is the shared job field now, without a help text of its own (no change to the table)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_initial")]

    operations = [
        migrations.AlterField(model_name="batch", name="error", field=models.TextField(blank=True)),
    ]

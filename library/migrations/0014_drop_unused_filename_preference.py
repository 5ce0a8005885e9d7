"""The "sanitise file names" preference goes: exports always make names safe.

The SP-404MK2 reads only short ASCII names, so every export makes them safe
whatever the preference said, and nothing ever read it. Migrating back adds
the column again with its old default.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("library", "0013_forget_not_set_up_refusals")]

    operations = [
        migrations.RemoveField(model_name="userpreference", name="auto_sanitize_filenames")
    ]

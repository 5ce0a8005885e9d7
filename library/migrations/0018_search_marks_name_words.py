"""Search documents mark the words of each sample's name, which best-match order ranks by.

"Warm Pad" adds "0nwarm 0npad" to its document. The word splitting is this
migration's own copy: later changes to the app's search leave it alone.
"""

import re

from django.db import migrations

MARK = "0n"
CHUNK = 2000


def words(text):
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text or "")
    spaced = re.sub(r"([A-Za-z])(\d)|(\d)([A-Za-z])", r"\1\3 \2\4", spaced)
    return re.findall(r"\w+", spaced.lower().replace("_", " "))


def unmarked(text):
    return [word for word in (text or "").split() if not word.startswith(MARK)]


def rewrite(apps, change):
    """Apply change(name, text) to every document, a page of rows at a time."""
    Sample = apps.get_model("library", "Sample")
    rows = Sample.objects.order_by("pk").values_list("pk", "name", "search_text")
    last = 0
    while page := list(rows.filter(pk__gt=last)[:CHUNK]):
        changed = [
            Sample(pk=pk, search_text=new_text)
            for pk, name, text in page
            if (new_text := change(name, text)) != text
        ]
        Sample.objects.bulk_update(changed, ["search_text"])
        last = page[-1][0]


def mark_names(apps, schema_editor):
    def marked(name, text):
        marks = dict.fromkeys(MARK + word for word in words(name))
        return " ".join([*unmarked(text), *marks])

    rewrite(apps, marked)


def unmark_names(apps, schema_editor):
    rewrite(apps, lambda name, text: " ".join(unmarked(text)))


class Migration(migrations.Migration):
    dependencies = [("library", "0017_remove_leftover_files")]

    operations = [migrations.RunPython(mark_names, unmark_names)]

"""Samples asked for a vibe before vibe analysis was set up no longer carry that refusal.

Earlier versions recorded "Vibe analysis is not set up" as the sample's failed
description, which stayed on its page after the app was configured. The rows
stay; the refusal is cleared (a description they had is kept).
"""

from django.db import migrations

REFUSAL = "Vibe analysis is not set up."


def forget_refusals(apps, schema_editor):
    VibeAnalysis = apps.get_model("library", "VibeAnalysis")
    VibeAnalysis.objects.filter(status="failed", error__startswith=REFUSAL).update(
        status="ready", error=""
    )


class Migration(migrations.Migration):
    dependencies = [("library", "0012_genre_ignores_case")]

    operations = [migrations.RunPython(forget_refusals, migrations.RunPython.noop)]

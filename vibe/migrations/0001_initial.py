"""Vibe analyses, model prices and API usage, moved from the library app; the tables keep their names."""

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("library", "0014_drop_unused_filename_preference"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables are there already, under their old names: only Django's idea
        # of which app owns them changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ModelPrice",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("model", models.CharField(max_length=128, unique=True)),
                        (
                            "prompt_price_per_million",
                            models.DecimalField(decimal_places=8, help_text="USD", max_digits=18),
                        ),
                        (
                            "completion_price_per_million",
                            models.DecimalField(decimal_places=8, help_text="USD", max_digits=18),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "db_table": "library_modelprice",
                        "ordering": ["model"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("completion_price_per_million__gte", 0),
                                    ("prompt_price_per_million__gte", 0),
                                ),
                                name="model_price_positive",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="VibeAnalysis",
                    fields=[
                        (
                            "sample",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="vibe",
                                serialize=False,
                                to="library.sample",
                            ),
                        ),
                        ("mood_primary", models.CharField(blank=True, max_length=32)),
                        ("mood_secondary", models.CharField(blank=True, max_length=32)),
                        ("energy", models.FloatField(blank=True, null=True)),
                        ("danceability", models.FloatField(blank=True, null=True)),
                        ("acousticness", models.FloatField(blank=True, null=True)),
                        ("instrumentalness", models.FloatField(blank=True, null=True)),
                        ("texture_tags", models.JSONField(blank=True, default=list)),
                        ("suggested_genre", models.CharField(blank=True, max_length=64)),
                        ("description", models.TextField(blank=True)),
                        ("model", models.CharField(max_length=128)),
                        ("confidence", models.FloatField(blank=True, null=True)),
                        ("processing_time_ms", models.PositiveIntegerField(default=0)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Waiting to be described"),
                                    ("describing", "Being described"),
                                    ("ready", "Described"),
                                    ("failed", "Description failed"),
                                ],
                                default="ready",
                                max_length=10,
                            ),
                        ),
                        ("error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "verbose_name": "vibe analysis",
                        "verbose_name_plural": "vibe analyses",
                        "db_table": "library_vibeanalysis",
                        "indexes": [
                            models.Index(fields=["mood_primary"], name="vibe_mood"),
                            models.Index(fields=["energy"], name="vibe_energy"),
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("energy__isnull", True),
                                    models.Q(("energy__gte", 0), ("energy__lte", 1)),
                                    _connector="OR",
                                ),
                                name="vibe_energy_range",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("danceability__isnull", True),
                                    models.Q(("danceability__gte", 0), ("danceability__lte", 1)),
                                    _connector="OR",
                                ),
                                name="vibe_danceability_range",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("acousticness__isnull", True),
                                    models.Q(("acousticness__gte", 0), ("acousticness__lte", 1)),
                                    _connector="OR",
                                ),
                                name="vibe_acousticness_range",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("instrumentalness__isnull", True),
                                    models.Q(
                                        ("instrumentalness__gte", 0), ("instrumentalness__lte", 1)
                                    ),
                                    _connector="OR",
                                ),
                                name="vibe_instrumentalness_range",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("confidence__isnull", True),
                                    models.Q(("confidence__gte", 0), ("confidence__lte", 1)),
                                    _connector="OR",
                                ),
                                name="vibe_confidence_range",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("status__in", ["pending", "describing", "ready", "failed"])
                                ),
                                name="vibe_status_valid",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ApiUsage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("model", models.CharField(max_length=128)),
                        ("prompt_tokens", models.PositiveIntegerField(default=0)),
                        ("completion_tokens", models.PositiveIntegerField(default=0)),
                        ("total_tokens", models.PositiveIntegerField(default=0)),
                        (
                            "cost",
                            models.DecimalField(
                                decimal_places=8,
                                default=Decimal("0"),
                                help_text="USD",
                                max_digits=18,
                            ),
                        ),
                        (
                            "operation",
                            models.CharField(
                                choices=[("single", "Single sample"), ("batch", "Batch")],
                                max_length=8,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        (
                            "sample",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="api_usage",
                                to="library.sample",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="api_usage",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "API usage",
                        "verbose_name_plural": "API usage",
                        "db_table": "library_apiusage",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(
                                fields=["model", "created_at"], name="api_usage_model_created"
                            )
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("cost__gte", 0)), name="api_usage_cost_positive"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("operation__in", ["single", "batch"])),
                                name="api_usage_operation_valid",
                            ),
                        ],
                    },
                ),
            ],
        ),
    ]

"""The site's preferences, moved from the library app; the table keeps its name."""

from decimal import Decimal

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("library", "0014_drop_unused_filename_preference")]

    operations = [
        # The tables are there already, under their old names: only Django's idea
        # of which app owns them changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SitePreferences",
                    fields=[
                        (
                            "id",
                            models.PositiveSmallIntegerField(
                                default=1, editable=False, primary_key=True, serialize=False
                            ),
                        ),
                        (
                            "vibe_model",
                            models.CharField(
                                default="openai/gpt-4o-mini",
                                help_text="For single samples.",
                                max_length=128,
                            ),
                        ),
                        (
                            "batch_model",
                            models.CharField(
                                default="openai/gpt-4o-mini",
                                help_text="For batch imports and bulk runs.",
                                max_length=128,
                            ),
                        ),
                        (
                            "auto_vibe_single",
                            models.BooleanField(
                                default=False, verbose_name="describe vibe after single imports"
                            ),
                        ),
                        (
                            "auto_vibe_batch",
                            models.BooleanField(
                                default=False, verbose_name="describe vibe after batch imports"
                            ),
                        ),
                        (
                            "auto_extract_features",
                            models.BooleanField(
                                default=True, verbose_name="analyse audio after import"
                            ),
                        ),
                        (
                            "max_cost_per_request",
                            models.DecimalField(
                                decimal_places=8,
                                default=Decimal("0.01"),
                                help_text="USD; a call that could cost more is not made.",
                                max_digits=18,
                            ),
                        ),
                        (
                            "monthly_budget",
                            models.DecimalField(
                                decimal_places=8,
                                default=Decimal("5.00"),
                                help_text="USD per calendar month, all users.",
                                max_digits=18,
                            ),
                        ),
                        (
                            "default_export_format",
                            models.CharField(
                                choices=[("wav", "WAV"), ("aiff", "AIFF")],
                                default="wav",
                                max_length=4,
                            ),
                        ),
                        (
                            "default_export_organisation",
                            models.CharField(
                                choices=[
                                    ("flat", "Flat"),
                                    ("genre", "By genre"),
                                    ("bpm", "By BPM range"),
                                    ("kit", "By kit (bank folders, pad order)"),
                                ],
                                default="kit",
                                max_length=5,
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "verbose_name": "preferences",
                        "verbose_name_plural": "preferences",
                        "db_table": "library_userpreference",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("id", 1)), name="preferences_single_row"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("max_cost_per_request__gte", 0)),
                                name="preferences_max_cost_positive",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("monthly_budget__gte", 0)),
                                name="preferences_budget_positive",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("default_export_format__in", ["wav", "aiff"])),
                                name="preferences_export_format_valid",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    (
                                        "default_export_organisation__in",
                                        ["flat", "genre", "bpm", "kit"],
                                    )
                                ),
                                name="preferences_export_organisation_valid",
                            ),
                        ],
                    },
                ),
            ],
        ),
    ]

"""Work a web process does once at start, rather than during its first requests."""

import gc
import importlib

from django.conf import settings
from django.template.loader import get_template
from django.urls import reverse

# Modules the busiest pages import on first use (numpy and scipy among them).
MODULES = ["library.similarity", "vibe.service", "kits.suggest", "exports.views"]


def warm_up() -> None:
    """Compile every project template, build the URL resolver, import the heavy modules,
    then exempt all of it from garbage collection (it lives as long as the process)."""
    reverse("library:index")
    for directory in settings.TEMPLATES[0]["DIRS"]:
        for path in sorted(directory.rglob("*.html")):
            get_template(str(path.relative_to(directory)))
    for module in MODULES:
        importlib.import_module(module)
    gc.collect()
    gc.freeze()

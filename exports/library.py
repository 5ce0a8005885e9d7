"""What exports add to the library: "Export" on a selection."""

from django.shortcuts import redirect
from django.urls import reverse

from library import bulk


@bulk.register("export", "Export")
def export_selection(request, samples, ids):
    return redirect(f"{reverse('exports:new')}?samples={','.join(map(str, ids))}")

"""What every page can show: for staff, whether the library is safely backed up and whole."""

from django.utils.functional import SimpleLazyObject

from core.models import safety_notices


def safety(request):
    """Staff see a notice when there is no recent verified backup or the last check found problems.

    Lazy: the two small queries run only on pages that show the notices.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_staff:
        return {"safety_notices": []}
    return {"safety_notices": SimpleLazyObject(safety_notices)}

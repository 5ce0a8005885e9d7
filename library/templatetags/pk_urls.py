"""`{% pk_url name pk %}`: `{% url name pk %}` for long lists, without a reverse() per row."""

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse

register = template.Library()
PLACEHOLDER = 987654321987654321


@lru_cache(maxsize=128)
def url_pattern(name: str, prefix: str) -> str:
    """The URL with a placeholder for the key; `prefix` keys the cache by script prefix."""
    url = reverse(name, args=[PLACEHOLDER])
    if url.count(str(PLACEHOLDER)) != 1:
        raise ValueError(f"{name} does not take a single key argument")
    return url


@register.simple_tag
def pk_url(name: str, pk) -> str:
    """The same URL that reverse(name, args=[pk]) gives, for an integer primary key."""
    return url_pattern(name, get_script_prefix()).replace(str(PLACEHOLDER), str(int(pk)))

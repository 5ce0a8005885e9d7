"""Money as people read it: a few decimals and the currency, whatever the database returns."""

from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()

SMALLEST = Decimal("0.000001")


@register.filter
def money(amount, currency: str = "USD") -> str:
    """'0.000924 USD': at most 6 decimals, at least 2, trailing zeros dropped."""
    value = Decimal(amount or 0)
    if 0 < abs(value) < SMALLEST:
        return f"< {SMALLEST} {currency}"
    text = f"{value.quantize(SMALLEST, rounding=ROUND_HALF_UP):f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')} {currency}"

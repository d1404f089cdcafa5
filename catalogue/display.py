"""How the quote pages and the proposal write money and plan figures: one way everywhere.

``money`` is the one place that formats an amount ($1,234.56); the portal-wide display filters replace
it when they land (swap the body, keep the name).
"""

from __future__ import annotations

from decimal import Decimal

NONE = "—"


def money(amount: Decimal | int | str | None) -> str:
    """``$1,234.56``; ``-$12.00`` for a negative amount; "—" for None."""
    if amount is None or amount == "":
        return NONE
    value = Decimal(str(amount))
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def plan_amount(amount: Decimal | None) -> str:
    """A plan's deductible or out-of-pocket maximum: "—" where the plan has none (0.00 in the file)."""
    if amount is None or Decimal(str(amount)) == 0:
        return NONE
    return money(amount)

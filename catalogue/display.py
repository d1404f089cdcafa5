"""How the quote pages and the proposal write money and plan figures: one way everywhere.

``money`` is the portal's one formatter (``portal.words.money``: $1,234.56), re-exported for the
quote's templates and the proposal.
"""

from __future__ import annotations

from decimal import Decimal

from portal.words import money

__all__ = ["NONE", "money", "plan_amount"]

NONE = "—"


def plan_amount(amount: Decimal | None) -> str:
    """A plan's deductible or out-of-pocket maximum: "—" where the plan has none (0.00 in the file)."""
    if amount is None or Decimal(str(amount)) == 0:
        return NONE
    return money(amount)

"""What the rules need to know and cannot compute from a body: the carrier's facts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol, runtime_checkable

from .settings import RuleSettings

__all__ = ["RuleContext"]


@runtime_checkable
class RuleContext(Protocol):
    """Facts for the rules. The portal answers from its catalogue, the sandbox from its loaded ETSS files."""

    today: date  # the carrier's business day
    settings: RuleSettings

    def counties_for_zip(self, zip5: str, on: date) -> set[str]:
        """County FIPS codes of the rate file's ZIP5 rows for ``zip5`` in force ``on``."""
        ...

    def rating_area_for(self, zip5: str, county_fips: str, on: date) -> str | None: ...

    def plan_sold(self, plan_id: str, line: str, rating_area_id: str, on: date) -> bool: ...

    def composite_allowed(self, plan_id: str, on: date) -> bool: ...

    def agent_appointed(self, npn: str, state: str) -> bool:
        """Portal side: always True (only the carrier knows)."""
        ...

    def own_premium(
        self,
        plan_id: str,
        *,
        rating_area_id: str,
        date_of_birth: date,
        tobacco: bool,
        effective_date: date,
        rating_option: str = "AGE",
    ) -> Decimal | None:
        """The subscriber's own monthly rate on the plan (age rate, the tobacco rate if ``tobacco`` and the
        plan is tobacco rated, or the EMP/EE tier rate of a tier-rated plan); None when unknown."""
        ...

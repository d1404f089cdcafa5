"""Every threshold of ``business-rules.md`` as data (its "Thresholds" table and the lists under it).

The defaults are the carrier's published defaults; a deployment overrides them from a mapping (a JSON
setting, a table row) with :meth:`RuleSettings.from_mapping`. Dict-valued settings are merged one level
deep, so ``{"min_participation": {"MEDICAL": "0.75"}}`` changes medical and keeps dental and vision.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import pydantic

from ..codes import STATE_FIPS, VALID_WAIVER_REASONS

__all__ = ["RuleSettings"]

_ALL_LINES_STATES = (
    "AL AK AR AZ CA CO CT DC FL GA IA ID IL IN KS KY LA MD ME MI MN MO MS NC ND NE NJ NM NV OH OK PA SC SD "
    "TN TX VA VT WI WV"
).split()


def _electronic_states() -> dict[str, list[str]]:
    return {
        "MEDICAL": list(_ALL_LINES_STATES),
        "DENTAL": sorted([*_ALL_LINES_STATES, "NY"]),
        "VISION": sorted([*_ALL_LINES_STATES, "NY", "MT"]),
    }


class RuleSettings(pydantic.BaseModel, frozen=True):
    """The rules' numbers and lists. Unknown keys are refused so that a typo in a setting is loud."""

    model_config = pydantic.ConfigDict(extra="forbid")

    # GRP-008: eligible employees, medical
    size_limit: int = 50
    size_limit_by_state: dict[str, int] = pydantic.Field(
        default_factory=lambda: {"CA": 100, "CO": 100, "NY": 100, "VT": 100}
    )
    # GRP-020 / GRP-021: participation
    min_participation: dict[str, Decimal] = pydantic.Field(
        default_factory=lambda: {
            "MEDICAL": Decimal("0.70"),
            "DENTAL": Decimal("0.50"),
            "VISION": Decimal("0.50"),
        }
    )
    # "at least 2 enrolled when 2 or more eligible remain after valid waivers"
    min_enrolled_when_two_eligible: dict[str, int] = pydantic.Field(
        default_factory=lambda: {"DENTAL": 2, "VISION": 2}
    )
    # GRP-022: share of the employee-only premium (dental and vision: none)
    min_contribution: dict[str, Decimal] = pydantic.Field(
        default_factory=lambda: {"MEDICAL": Decimal("0.50")}
    )
    # GRP-009 / MBR-008
    min_hours_floor: int = 20
    min_hours_ceiling: int = 40
    default_min_hours: int = 30
    # MBR-002 / 003 / 005 / 006 / 013
    child_age_limit: int = 26
    subscriber_min_age: int = 16
    subscriber_max_age: int = 100
    spouse_min_age: int = 16
    dependent_ssn_min_age: int = 1
    tobacco_min_age: int = 18
    # GRP-007
    effective_window_days: int = 90
    # MNT-005: special enrollment after a marriage or a loss of coverage; after a birth or an adoption
    special_enrollment_days: int = 30
    special_enrollment_birth_days: int = 60
    # 1.1, MNT-004: waiting period -> N days (coverage from the first of a month on or after hire + N);
    # the request date at most this many days after the coverage start
    waiting_period_days: dict[str, int] = pydantic.Field(
        default_factory=lambda: {
            "FIRST_OF_MONTH_AFTER_HIRE": 1,
            "FIRST_OF_MONTH_AFTER_30_DAYS": 30,
            "FIRST_OF_MONTH_AFTER_60_DAYS": 60,
        }
    )
    new_hire_request_days: int = 30
    # MNT-002: LOSS_OF_COVERAGE's event date at most this many days ahead
    loss_of_coverage_ahead_days: int = 30
    # MNT-006: a change's effective date from this many days before to this many after the request date
    change_retro_days: int = 60
    change_future_days: int = 90
    # MNT-012: a change file received at most this many days after the change's request date
    change_file_lag_days: int = 10
    # GRP-010
    max_plans: dict[str, int] = pydantic.Field(
        default_factory=lambda: {"MEDICAL": 4, "DENTAL": 2, "VISION": 2}
    )
    # GRP-005
    electronic_states: dict[str, list[str]] = pydantic.Field(default_factory=_electronic_states)
    # GRP-002 / GRP-003
    invalid_fein_prefixes: list[str] = pydantic.Field(
        default_factory=lambda: "00 07 08 09 17 18 19 28 29 49 69 70 78 79 89".split()
    )
    ineligible_sic: list[str] = pydantic.Field(default_factory=lambda: ["7361", "7363", "8811"])
    # participation: waivers that reduce the denominator
    valid_waiver_reasons: list[str] = pydantic.Field(
        default_factory=lambda: [r.value for r in sorted(VALID_WAIVER_REASONS)]
    )
    # GRP-014: attestation needed when this many or fewer subscribers enroll in medical
    attestation_max_enrolled: int = 5
    # GRP-015: the signed Employer Group Application at finalize: an error for effective dates from this
    # date, a warning before it; each signature at most this many days old at finalize
    application_required_from: date = date(2027, 7, 1)
    application_max_age_days: int = 30
    # 1.1 renewals: the offer R - n days (O); the decision deadline R - n days, inclusive (REN-001); the
    # signature's age at submission (REN-002); the large increase warning (REN-009), a share of the current
    # total
    renewal_offer_days: int = 90
    renewal_decision_days: int = 30
    renewal_signature_max_age_days: int = 30
    renewal_large_increase: Decimal = Decimal("0.15")
    # open-enrollment exception (45 CFR 147.104): creation window (month, day) .. (month, day), inclusive
    open_enrollment_window: tuple[tuple[int, int], tuple[int, int]] = ((11, 15), (12, 15))
    open_enrollment_effective: tuple[int, int] = (1, 1)
    # GRP-004: state -> state FIPS code
    state_fips: dict[str, str] = pydantic.Field(default_factory=lambda: dict(STATE_FIPS))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> RuleSettings:
        """The defaults overridden by ``data``; dict-valued settings merge one level deep.

        Raises ``pydantic.ValidationError`` for unknown keys or values of the wrong type.
        """
        merged: dict[str, Any] = cls().model_dump()
        for key, value in (data or {}).items():
            if isinstance(merged.get(key), dict) and isinstance(value, Mapping):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        return cls.model_validate(merged)

    def to_mapping(self) -> dict[str, Any]:
        """JSON-ready (decimals as strings); ``from_mapping(to_mapping())`` gives the same settings."""
        return self.model_dump(mode="json")

    def size_limit_for(self, state: str) -> int:
        return self.size_limit_by_state.get(state, self.size_limit)

"""The carrier's business rules (``business-rules.md``) as declarative, never-raising checks.

Each rule is a small function registered under its rule ID and phase (C create/PATCH, V member
validation, F finalize; E the portal's own entry checks of what the 834 can carry, PTL-001..PTL-003,
which the carrier, and so the sandbox, never runs: ``check_member_entry``; R, PTL-004, the portal's
reading of a roster file, checked by ``members.roster`` as it reads); ``check_*`` run every rule
of the phase over an api.md body (a plain dict) and return every :class:`Violation`, sorted by
(pointer, code). Thresholds come only from :class:`RuleSettings`; facts the body does not carry
(rate-file geography, plans, rates, appointments, "today") from a :class:`RuleContext`. Plain Python:
no Django.

Pointers: ``check_group`` and ``check_finalize`` point into the group body (finalize sets ``member_ref``
when a member is at fault); ``check_member`` points into the member validation body. A pointer always
resolves in its body, or names an absent key of an object that exists (a missing ``employer`` is reported
at ``/employer``, a missing ``legalName`` at ``/employer/legalName``), or is ``""``.

Decisions where the carrier's documents are silent:

* Values outside a code list (gender, waiting period, basis, employment status) are reported under the
  rule that names the list (MBR-004, GRP-009, GRP-011, MBR-008) although api.md would answer ``SCHEMA``;
  rules whose inputs are unusable otherwise skip (schema errors are the caller's job).
* GRP-005 is reported per offering at ``/offerings/{i}/line`` (the fix is to drop that line).
* GRP-010 also refuses an empty ``offerings`` list, a line offered twice and a plan listed twice.
* GRP-012 also checks the employer's own phone (10 digits).
* GRP-004: a ZIP with no ZIP5 row in the rate file is reported at ``/employer/address/zip5``; PO boxes
  include "Box 12" and "POB"; a ZIP+4 must be 4 digits.
* MBR-007 also checks a dependent's own address when one is sent, and that the county is in the state.
* MBR-009: a dependent's ``planId``, when sent, must be its subscriber's plan on that line.
* MBR-012 applies to subscribers' waivers; a dependent lists only the lines it is covered on.
* Finalize pointers: GRP-020/021/023/031 at ``/offerings/{i}``, GRP-022 at
  ``/offerings/{i}/contribution/employee``, GRP-008 at ``/workforce/eligibleEmployees``, GRP-013 and
  GRP-030 at ``""``.
* GRP-022 applies to every line of ``settings.min_contribution`` (only MEDICAL by default) and compares
  the employer's share of the own premium on the elected plan (PERCENT rounded half up to the cent, FLAT
  capped at the premium) with the exact, unrounded ``share × employee-only premium``; a subscriber whose
  premiums the context cannot give is skipped.
* Participation: ``min_enrolled_when_two_eligible[line] = n`` means "at least n enrolled when n or more
  remain after valid waivers".
* An age of exactly ``subscriber_max_age`` (100) is allowed; 16 on the effective date is allowed.
"""

from __future__ import annotations

from ._base import RULES, Rule, Violation
from .change_file import LoopCheck, check_change_loop
from .context import RuleContext
from .entry import check_member_entry
from .finalize import (
    LineParticipation,
    check_finalize,
    implied_tier,
    open_enrollment_exception_applies,
    participation,
)
from .group import check_group
from .maintenance import PendingChange, RosterFacts, check_change
from .member import check_member, ssn_problem
from .renewal import OfferLine, RenewalFacts, check_decision, check_offer, renewal_dates
from .settings import RuleSettings

__all__ = [
    "RULES",
    "LineParticipation",
    "OfferLine",
    "RenewalFacts",
    "Rule",
    "RuleContext",
    "RuleSettings",
    "Violation",
    "check_decision",
    "check_finalize",
    "check_group",
    "check_member",
    "check_member_entry",
    "check_offer",
    "check_change",
    "check_change_loop",
    "LoopCheck",
    "PendingChange",
    "RosterFacts",
    "implied_tier",
    "open_enrollment_exception_applies",
    "participation",
    "renewal_dates",
    "ssn_problem",
]

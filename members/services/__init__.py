"""Writes of the members app (the Styleguide's services), by sub-domain:

* ``bodies``: api.md's member-validation body, and the fields a family form may set;
* ``problems``: the carrier's member rules on the portal side, each problem on its field;
* ``families``: a family's answers as one in-memory plan, stored (``family_save``) or checked
  (``family_draft_problems``); withdrawal;
* ``validation``: validation with the carrier (claims, calls, answers, retries, the sweep);
* ``census``: members from a group's census; ``results``: the 834's per-member outcome.

The names other apps and pages call are imported here, so ``members.services.family_save`` reads as
before.
"""

from .bodies import (
    MEMBER_FIELDS,
    SUBSCRIBER_ONLY,
    member_build_validation_body,
)
from .census import (
    census_import_members,
)
from .families import (
    CLOSED_TO_NEW_MEMBERS,
    NEW_MEMBER_AFTER_FINALIZE,
    DraftProblems,
    FamilyPlan,
    family_draft_problems,
    family_plan,
    family_save,
    member_withdraw,
)
from .problems import (
    COVERAGE_FIELDS,
    POINTER_FIELDS,
    locate_member_pointer,
    member_carrier_problems,
    member_local_problems,
)
from .results import (
    member_record_enrollment_results,
)
from .validation import (
    BATCH_LIMIT,
    batch_threshold,
    claim_seconds,
    group_accepts_validation,
    group_mark_members_unreachable,
    group_validate_members,
    member_withdraw_with_carrier,
    members_queue_validation,
    members_request_validation,
    members_sweep,
)

__all__ = [
    "BATCH_LIMIT",
    "CLOSED_TO_NEW_MEMBERS",
    "COVERAGE_FIELDS",
    "DraftProblems",
    "FamilyPlan",
    "MEMBER_FIELDS",
    "NEW_MEMBER_AFTER_FINALIZE",
    "POINTER_FIELDS",
    "SUBSCRIBER_ONLY",
    "batch_threshold",
    "census_import_members",
    "claim_seconds",
    "family_draft_problems",
    "family_plan",
    "family_save",
    "group_accepts_validation",
    "group_mark_members_unreachable",
    "group_validate_members",
    "locate_member_pointer",
    "member_build_validation_body",
    "member_carrier_problems",
    "member_local_problems",
    "member_record_enrollment_results",
    "member_withdraw",
    "member_withdraw_with_carrier",
    "members_queue_validation",
    "members_request_validation",
    "members_sweep",
]

"""business-rules.md 1.1: the maintenance rules MNT-001..MNT-013 and the change-file rules FIL-013, FIL-014.

Kept beside ``catalog`` (same ``_define``, same marking for translation), imported by the rules that use
them, so that the rule table still has one entry per ID.
"""

from __future__ import annotations

from ._base import _define
from .catalog import gettext_noop

_define(
    "MNT-001",
    "VP",
    gettext_noop("A change is accepted only for a group that is ENROLLED and whose coverage has not ended."),
    gettext_noop("Wait until the group's first enrollment file is accepted, then report the change."),
)
_define(
    "MNT-002",
    "V",
    gettext_noop(
        "The event type and action must be a pair the change-events table allows for this member, and "
        "the event date must fit the event (not ahead unless the event allows it)."
    ),
    gettext_noop("Choose the life event that happened and the date it happened on."),
)
_define(
    "MNT-003",
    "V",
    gettext_noop(
        "The action must fit the member as the carrier's roster holds it on the effective date: add someone "
        "not covered, change or end someone covered, reinstate someone whose coverage ended."
    ),
    gettext_noop("Check the carrier's roster for this person: add, change or end as it shows them."),
)
_define(
    "MNT-004",
    "V",
    gettext_noop(
        "A new hire's coverage starts on the first of the month after the waiting period, and the hire is "
        "reported from the hire date to 30 days after that start."
    ),
    gettext_noop("Report a new hire soon after the hire date, before 30 days past the coverage start."),
)
_define(
    "MNT-005",
    "V",
    gettext_noop(
        "A special enrollment is reported at most 30 days after a marriage or a loss of coverage, 60 days "
        "after a birth or an adoption; a newborn's date of birth is the event date."
    ),
    gettext_noop(
        "The window has passed: the change can be made at the group's next renewal open enrollment."
    ),
)
_define(
    "MNT-006",
    "V",
    gettext_noop("A change takes effect at most 60 days before and at most 90 days after it is reported."),
    gettext_noop("Report the change closer to its date."),
)
_define(
    "MNT-007",
    "V",
    gettext_noop(
        "A termination ends coverage on every line on the last day of the month of the event date; a "
        "child's coverage ends at the end of the month of its 26th birthday unless disabled."
    ),
    gettext_noop("Check the event date: coverage ends at the end of that month."),
)
_define(
    "MNT-008",
    "V",
    gettext_noop(
        "During a plan year a line keeps its plan; a line is added only after a birth, adoption, marriage "
        "or loss of coverage, and given up only voluntarily."
    ),
    gettext_noop("Keep the plans as they are; plan changes wait for the renewal."),
)
_define(
    "MNT-009",
    "V",
    gettext_noop(
        "A demographic change alters only member data (names, SSN, birth date, gender, address, contact, "
        "tobacco, hours), never the relationship, the hire date or the coverage."
    ),
    gettext_noop("Report a coverage change with the life event that causes it."),
)
_define(
    "MNT-010",
    "V",
    gettext_noop(
        "A reinstatement restores coverage ended by a change file, with no renewal since, on the plans "
        "and tiers of the last covered day."
    ),
    gettext_noop("Reinstate with the coverage the member had on its last covered day."),
)
_define(
    "MNT-011",
    "V",
    gettext_noop(
        "A change effective on or after the renewal date waits for the renewal to be accepted and elects "
        "the renewal's plans."
    ),
    gettext_noop("Report the change again once the group's renewal is accepted."),
)
_define(
    "MNT-012",
    "P",
    gettext_noop("The change file is received at most 10 days after the change was validated."),
    gettext_noop("Validate the member again and send the change in a new file."),
)
_define(
    "MNT-013",
    "P",
    gettext_noop(
        "A family's loops in a change file carry one event, and after them each line's tier fits the "
        "dependents covered; when one loop of a family is rejected, the whole family is."
    ),
    gettext_noop("Correct the rejected member and send the whole family's change again."),
)
_define(
    "FIL-013",
    "P",
    gettext_noop(
        "The maintenance codes (INS03, INS04, HD01) fit the file's kind and the member's validation."
    ),
    gettext_noop("Send the change as it was validated, with the codes the carrier computed."),
)
_define(
    "FIL-014",
    "P",
    gettext_noop("The dates in the loop fit the member's change (effective date, coverage end)."),
    gettext_noop("Use the dates the carrier computed when the change was validated."),
)

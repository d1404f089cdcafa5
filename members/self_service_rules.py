"""The carrier's member rules as the employee reads them: who can act on each problem, and in what words.

An employee's pages show a problem only where the employee can fix it: a field of their own form (their
details, a family member's, a line's choice). The rest (hire date, weekly hours, employment status, the
county, the member ID, a dependent's lines) is on no form of theirs: it is the broker's, who reads it on
the family's page and, once the family is sent, in the member list's "what blocks this family" (the
employee's signature stores the family and queues it for validation; an incomplete or refused member
shows there with the rule).

The words are addressed to the employee, in the active language: the rule ID stays (the broker and the
carrier speak of it), the statement and the fix are the portal's own for that rule and field (the
carrier's specific messages are English only and written for a broker: "Enter the member's…"). They
never quote a value: a carrier message may carry a date of birth.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from enrollment.rules import Problem

NAME_FIELDS = ("first_name", "middle_name", "last_name", "suffix")
ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "state", "zip5")

# (rule ID, field or None for any field) -> (what is wrong, what to do), for the employee.
WORDS: dict[tuple[str, str | None], tuple[Promise, Promise]] = {
    ("MBR-001", "first_name"): (
        _("The first name is needed, in letters, spaces, apostrophes, hyphens and periods, up to 35."),
        _("Type the first name as it is on the ID card."),
    ),
    ("MBR-001", "middle_name"): (
        _("The middle name may have up to 25 letters, spaces, apostrophes, hyphens and periods."),
        _("Shorten it to its initial or leave it empty."),
    ),
    ("MBR-001", "last_name"): (
        _("The last name is needed, in letters, spaces, apostrophes, hyphens and periods, up to 60."),
        _("Type the last name as it is on the ID card."),
    ),
    ("MBR-001", "suffix"): (
        _("The suffix must be Jr., Sr., II, III or IV."),
        _("Choose it from the list, or leave it empty."),
    ),
    ("MBR-002", None): (
        _("A 9-digit Social Security number is needed for you and for everyone aged 1 or more."),
        _("Type the 9 digits from the Social Security card."),
    ),
    ("MBR-003", None): (
        _("The date of birth cannot be in the future; an employee must be 16 to 100 when coverage starts."),
        _("Check the date of birth and correct it."),
    ),
    ("MBR-004", None): (
        _("The gender is needed."),
        _("Choose it from the list."),
    ),
    ("MBR-005", None): (
        _("A child over the plan's age limit when coverage starts can be covered only with a disability."),
        _("Check the date of birth; tick the disability box if it applies, or remove the child."),
    ),
    ("MBR-006", None): (
        _("You may cover one spouse or domestic partner, who must be at least 16."),
        _("Keep one spouse or partner and check their date of birth."),
    ),
    ("MBR-007", None): (
        _("Your home address needs line 1, the city, the 2-letter state and the 5-digit ZIP code."),
        _("Type your home address as your mail arrives."),
    ),
    ("MBR-009", None): (
        _("Choose one of the plans your employer offers."),
        _("Pick a plan from the list, or say that you do not want this coverage."),
    ),
    ("MBR-012", None): (
        _("Say why you do not want this coverage."),
        _("Choose a reason from the list."),
    ),
    ("MBR-013", None): (
        _("Tobacco use must be answered for everyone aged 18 or more on medical coverage."),
        _("Answer Yes or No."),
    ),
    ("MBR-014", None): (
        _("Another person in your employer's group has the same Social Security number."),
        _("Check the number on the card; if it is right, call your broker."),
    ),
    ("MBR-015", None): (
        _("Every kind of coverage your employer offers needs a plan or a no."),
        _("Choose a plan, or say that you do not want it, for each kind of coverage."),
    ),
}
OTHER = (
    _("The insurance company does not accept this as it is."),
    _("Check what you typed here; if it is right, call your broker."),
)


def employee_words(problem: Problem) -> Problem:
    """The problem with the employee's words for its rule and field (the rule ID kept)."""
    words = WORDS.get((problem.code, problem.field)) or WORDS.get((problem.code, None)) or OTHER
    return dataclasses.replace(problem, message=str(words[0]), fix=str(words[1]))


def split_for_employee(
    problems: Iterable[Problem], *, fields: Iterable[str], coverage: bool = False
) -> tuple[list[Problem], list[Problem]]:
    """(the employee's, in their words; the broker's, as they are). The employee's: a problem of a field
    of ``fields`` (their form), or of their choices on a line when ``coverage`` (the subscriber's)."""
    names = set(fields)
    mine: list[Problem] = []
    brokers: list[Problem] = []
    for p in problems:
        on_coverage = coverage and (p.step.startswith("election:") or p.step == "elections")
        if on_coverage or (p.step == "member" and p.field in names):
            mine.append(employee_words(p))
        else:
            brokers.append(p)
    return mine, brokers

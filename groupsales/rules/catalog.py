"""The rule table of ``business-rules.md``: every ID, when the carrier checks it, what it says, the fix.

``summary`` is the carrier-style statement of the rule; ``fix`` is what a broker or an employee should
do, shown beside the field. Upload-time file rules (FIL-001, FIL-002) are filed under ``P``.

The portal's own rules (``PTL-``, phase ``E`` for "entry") are not the carrier's: they refuse, where a
value is typed, what the 834 cannot carry as typed (``rules.entry``). The carrier never runs them, so
the sandbox does not either. Their texts are marked for translation (``gettext_noop``), since the
portal's forms show them in the reader's language.
"""

from __future__ import annotations

from ._base import _define


def gettext_noop(message: str) -> str:
    """Marks a text for the portal's translation catalogue (Django's ``makemessages`` extracts it); plain
    Python here, so the carrier's rules stay free of Django. The portal translates at display
    (``enrollment.rules.rule_words``). Marked: every rule the portal's pages show (group, agent, member,
    file and the portal's own)."""
    return message


# ---- Group
_define(
    "GRP-001",
    "C",
    gettext_noop(
        "The employer's legal name is required (at most 60 characters) and may use only letters, digits, "
        "spaces and & , . ' - #; the DBA name, when given, likewise."
    ),
    gettext_noop(
        "Enter the employer's legal name as on its IRS letter, at most 60 characters, using only letters, "
        "digits, spaces and & , . ' - #."
    ),
)
_define(
    "GRP-002",
    "C",
    gettext_noop(
        "The FEIN must be 9 digits, not all the same digit, and begin with a prefix the IRS assigns."
    ),
    gettext_noop("Enter the 9-digit FEIN from the employer's IRS letter (no dashes)."),
)
_define(
    "GRP-003",
    "C",
    gettext_noop(
        "The SIC code must be 4 digits and not one of the ineligible industries (staffing, help supply, "
        "private households)."
    ),
    gettext_noop(
        "Enter the employer's 4-digit SIC code; staffing agencies and private households cannot buy a "
        "group plan."
    ),
)
_define(
    "GRP-004",
    "C",
    gettext_noop(
        "The employer's address needs line 1 (no PO box), city, state, a 5-digit ZIP and the 5-digit "
        "county FIPS code of a county of that ZIP in that state."
    ),
    gettext_noop(
        "Enter the employer's street address (not a PO box), its 5-digit ZIP and the county it lies in."
    ),
)
_define(
    "GRP-005",
    "C",
    gettext_noop(
        "The employer's state does not offer electronic enrollment for every line the group offers."
    ),
    gettext_noop(
        "Remove the lines that cannot be enrolled electronically in the employer's state, or enroll the "
        "group on paper."
    ),
)
_define(
    "GRP-006",
    "C",
    gettext_noop("The date the business was established must be before today and before the effective date."),
    gettext_noop(
        "Enter the date the business was established (from its formation papers); it must be in the past."
    ),
)
_define(
    "GRP-007",
    "CF",
    gettext_noop(
        "The effective date must be the first of a month, on or after the first of next month, and at "
        "most 90 days from today."
    ),
    gettext_noop("Choose the first day of a month from next month on, no more than about three months away."),
)
_define(
    "GRP-008",
    "CF",
    gettext_noop(
        "Eligible employees must be at least 1 and at most the state's small-group limit, and no more "
        "than total employees; validated subscribers may not outnumber eligible employees."
    ),
    gettext_noop(
        "Count the employees who work at least the minimum hours; it cannot exceed the total employees or "
        "the small-group limit of the state."
    ),
)
_define(
    "GRP-009",
    "C",
    gettext_noop(
        "The waiting period must be one of the listed values and minimum hours between 20 and 40 a week."
    ),
    gettext_noop("Choose a waiting period from the list and minimum weekly hours between 20 and 40."),
)
_define(
    "GRP-010",
    "C",
    gettext_noop(
        "Each offered line needs 1 to the maximum number of plans, each sold for that line in the group's "
        "rating area on the effective date; composite rating only for plans that allow it."
    ),
    gettext_noop(
        "Pick from the plans listed for the employer's area on the effective date, within the limit per "
        "line; choose age rating if a plan does not allow composite rating."
    ),
)
_define(
    "GRP-011",
    "C",
    gettext_noop("Contributions: percent values must be 0.00 to 100.00, flat amounts 0.00 or more."),
    gettext_noop(
        "Enter the employer's contribution as a percent from 0 to 100 or a dollar amount of 0 or more, "
        "with at most two decimals."
    ),
)
_define(
    "GRP-012",
    "C",
    gettext_noop(
        "The contact needs a first and last name, a valid e-mail address and a 10-digit phone number."
    ),
    gettext_noop(
        "Enter the contact's first and last name, e-mail address and 10-digit phone number (digits only)."
    ),
)
_define(
    "GRP-013",
    "F",
    gettext_noop(
        "The group is not bona fide: at least one enrolling employee must be neither an owner nor an "
        "owner's spouse (a partnership needs at least one enrolling employee)."
    ),
    gettext_noop("Enroll at least one employee who is not an owner or an owner's spouse."),
)
_define(
    "GRP-014",
    "F",
    gettext_noop(
        "Small groups (5 or fewer enrolling in medical) need the small-employer attestation signed."
    ),
    gettext_noop("Have the employer sign the small-employer attestation."),
)
_define(
    "GRP-015",
    "F",  # its create/PATCH half needs the stored group (stale, changed): sandbox.application
    gettext_noop(
        "The signed Employer Group Application: at create and PATCH, when sent, a 64-hex-digit "
        "documentSha256 and both signatures (the employer's signer with a title and e-mail, the writing "
        "agent), ELECTRONIC, not in the future; at finalize, present, not stale and each signature at most "
        "30 days old (an error for effective dates from 2027-07-01, a warning before)."
    ),
    gettext_noop(
        "Have the employer and the writing agent sign the current application in the portal; it is sent "
        "with the group."
    ),
)
_define(
    "GRP-020",
    "F",
    gettext_noop("Medical participation is below the minimum."),
    gettext_noop(
        "Enroll more eligible employees in medical, or record valid waivers for those with other coverage."
    ),
)
_define(
    "GRP-021",
    "F",
    gettext_noop("Dental or vision participation is below the minimum."),
    gettext_noop("Enroll more eligible employees in this line, record valid waivers, or remove the line."),
)
_define(
    "GRP-022",
    "F",
    gettext_noop(
        "The employer's medical contribution is below the minimum share of an employee's employee-only "
        "premium."
    ),
    gettext_noop(
        "Raise the employer's medical contribution for employees to at least half of the employee-only "
        "premium on the lowest-cost medical plan offered."
    ),
)
_define(
    "GRP-023",
    "F",
    gettext_noop("An offered line has no enrolled subscriber."),
    gettext_noop("Enroll at least one employee in this line, or remove the line from the group."),
)
_define(
    "GRP-030",
    "F",
    gettext_noop(
        "At least one validated subscriber must elect coverage, and every validated dependent's "
        "subscriber must be validated."
    ),
    gettext_noop(
        "Validate the employee (subscriber) before or together with their dependents, or withdraw the "
        "dependent."
    ),
)
_define(
    "GRP-031",
    "F",
    gettext_noop(
        "A subscriber's coverage tier does not match the validated dependents covered on that line."
    ),
    gettext_noop(
        "Choose the tier that matches who is covered: employee only, with spouse or partner, with "
        "children, or family; or validate the missing dependents."
    ),
)
_define(
    "GRP-900",
    "F",
    gettext_noop("Underwriting declined the group."),
    gettext_noop("Contact the carrier's small-group underwriting team."),
)

# ---- Agent
_define(
    "AGT-001",
    "C",
    gettext_noop(
        "The writing agent needs an NPN of 1 to 10 digits, a first and last name and an e-mail address."
    ),
    gettext_noop("Enter the agent's National Producer Number (digits only), name and e-mail address."),
)
_define(
    "AGT-002",
    "C",
    gettext_noop("The writing agent is not appointed with the carrier in the employer's state."),
    gettext_noop(
        "Ask the carrier's agent services to appoint the agent in the employer's state, or choose an "
        "appointed agent."
    ),
)

# ---- Member
_define(
    "MBR-001",
    "V",
    gettext_noop(
        "First name (at most 35 characters) and last name (at most 60) are required and may use only "
        "letters, spaces and ' - .; middle name at most 25; suffix JR, SR, II, III or IV."
    ),
    gettext_noop(
        "Enter the name as on the member's ID, using letters, spaces, apostrophes, hyphens and periods only."
    ),
)
_define(
    "MBR-002",
    "V",
    gettext_noop(
        "The SSN must be a valid 9-digit number; it is required for employees and for dependents aged 1 or "
        "more."
    ),
    gettext_noop("Enter the 9-digit Social Security number from the member's card (no dashes)."),
)
_define(
    "MBR-003",
    "V",
    gettext_noop(
        "The date of birth may not be in the future, and an employee must be 16 to 100 on the effective date."
    ),
    gettext_noop("Enter the member's real date of birth (YYYY-MM-DD)."),
)
_define(
    "MBR-004",
    "V",
    gettext_noop("Gender must be MALE, FEMALE or UNKNOWN."),
    gettext_noop("Choose the member's gender from the list."),
)
_define(
    "MBR-005",
    "V",
    gettext_noop("A child must be under the age limit on the effective date unless disabled."),
    gettext_noop("Remove the child, or mark the child as disabled if that is the case."),
)
_define(
    "MBR-006",
    "V",
    gettext_noop("An employee may cover at most one spouse or domestic partner, who must be at least 16."),
    gettext_noop("Keep only one spouse or domestic partner, and check their date of birth."),
)
_define(
    "MBR-007",
    "V",
    gettext_noop(
        "The employee's address needs line 1, city, state, a 5-digit ZIP (ZIP+4: 4 more digits) and the "
        "county FIPS code."
    ),
    gettext_noop("Enter the employee's home address with its 5-digit ZIP and county."),
)
_define(
    "MBR-008",
    "V",
    gettext_noop(
        "Employment: the hire date may not be after the effective date, weekly hours must reach the group's "
        "minimum, and the status must be FULL_TIME or PART_TIME."
    ),
    gettext_noop(
        "Enter the hire date, usual weekly hours and full- or part-time status; only employees working the "
        "group's minimum hours are eligible."
    ),
)
_define(
    "MBR-009",
    "V",
    gettext_noop("An election must name a plan the group offers for that line."),
    gettext_noop("Choose one of the plans the employer offers for this line."),
)
_define(
    "MBR-010",
    "V",
    gettext_noop(
        "A dependent must fit the employee's coverage tier on every line it is covered: a spouse or partner "
        "needs ESP or FAM, a child ECH or FAM."
    ),
    gettext_noop(
        "Change the employee's coverage tier to include this dependent (with spouse, with children or "
        "family)."
    ),
)
_define(
    "MBR-011",
    "V",
    gettext_noop("A dependent may be covered only on lines where the employee elects coverage."),
    gettext_noop(
        "Cover the dependent only on lines the employee enrolls in, or enroll the employee in that line "
        "first."
    ),
)
_define(
    "MBR-012",
    "V",
    gettext_noop("A waiver must name a reason from the list."),
    gettext_noop("Choose why the employee waives this coverage."),
)
_define(
    "MBR-013",
    "V",
    gettext_noop("Tobacco use must be stated for every member aged 18 or more covered under medical."),
    gettext_noop("Answer whether the member has used tobacco."),
)
_define(
    "MBR-014",
    "V",
    gettext_noop("The same SSN appears at most once in a group."),
    gettext_noop("Check the Social Security number: another member of this group already has it."),
)
_define(
    "MBR-015",
    "V",
    gettext_noop(
        "An employee covers each offered line once: an election or a waiver, never both, never neither."
    ),
    gettext_noop("For every line the employer offers, choose a plan and tier or waive it, once."),
)
_define(
    "MBR-020",
    "V",
    gettext_noop("A dependent's employee (subscriber) has no valid validation in this group."),
    gettext_noop("Validate the employee first, then their dependents."),
)

# ---- Enrollment file
_define(
    "FIL-001",
    "P",
    gettext_noop("The body is not an X12 interchange (ISA … IEA) with consistent delimiters."),
    gettext_noop("Send the 834 file as produced, unchanged."),
)
_define(
    "FIL-002",
    "P",
    gettext_noop("The interchange control number was already received from this partner."),
    gettext_noop("Send the file again with a new interchange control number."),
)
_define(
    "FIL-003",
    "P",
    gettext_noop("The envelope or header does not follow the carrier's 834 companion guide."),
    gettext_noop("Correct the file's envelope and header as the companion guide says and send it again."),
)
_define(
    "FIL-004",
    "P",
    gettext_noop("Control numbers and counts of the file do not agree."),
    gettext_noop("Regenerate the file so that its control numbers and counts agree."),
)
_define(
    "FIL-005",
    "P",
    gettext_noop("The transaction set is not valid 005010X220A1."),
    gettext_noop("Correct the segment reported and send the file again."),
)
_define(
    "FIL-010",
    "P",
    gettext_noop("The member does not match a valid validation in the group."),
    gettext_noop("Validate the member again with the data sent in the file, or correct the file."),
)
_define(
    "FIL-011",
    "P",
    gettext_noop("Plan codes or coverage levels do not match the member's validation."),
    gettext_noop("Send the plan and tier the member was validated with."),
)
_define(
    "FIL-012",
    "P",
    gettext_noop("Coverage start and eligibility begin must be the group's effective date."),
    gettext_noop("Use the group's effective date for coverage start and eligibility begin."),
)
_define(
    "FIL-900",
    "P",
    gettext_noop("The group is not in good standing: the whole file is rejected."),
    gettext_noop("Contact the carrier's enrollment team about the group's standing."),
)
_define(
    "FIL-901",
    "P",
    gettext_noop("The member was rejected by enrollment processing."),
    gettext_noop("Contact the carrier's enrollment team about this member."),
)

# ---- The portal's own rules (not in business-rules.md): what the 834 can carry, checked where it is typed
_define(
    "PTL-001",
    "E",
    gettext_noop(
        "A member's name must be written in Latin letters (accents are sent without them) and fit the 834 "
        "once written: first name 35, middle name 25, last name 60 characters."
    ),
    gettext_noop("Use the Latin spelling on the member's ID documents (passport, visa or driver's license)."),
)
_define(
    "PTL-002",
    "E",
    gettext_noop(
        "A member's phone number must be a 10-digit US or Canadian (NANP) number; a leading 1 and an "
        "extension are left out."
    ),
    gettext_noop(
        "Enter the 10-digit number with its area code, for example 502 555 0100, without an extension."
    ),
)
_define(
    "PTL-003",
    "E",
    gettext_noop(
        "An address must be written in Latin letters and fit the 834 once written: 55 characters for each "
        "address line, 30 for the city."
    ),
    gettext_noop(
        "Shorten the address as the Postal Service does (St, Ave, Apt, Ste), in Latin letters, within 55 "
        "characters a line and 30 for the city."
    ),
)
_define(
    "PTL-004",
    "R",
    gettext_noop(
        "A roster file must be a CSV or XLSX with a header row, one row per person, each value in a form the "
        "portal reads, and each dependent under an employee."
    ),
    gettext_noop(
        "Start from the roster template; put each employee's row first, then their spouse and children."
    ),
)

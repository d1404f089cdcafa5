"""Reading an employer's roster: one row per person, in the forms people type, into families.

The file is read with the census reader's bounds (``enrollment.census_import.read_table``: size, unpacked
size, lines, columns; formulas never evaluated). Headers are matched loosely (``First Name``,
``first_name`` and ``FIRSTNAME`` are one column) and values in the forms spreadsheets hold: dates as
``mm/dd/yyyy``, ``m/d/yy``, ISO or a date cell; tiers as ``EE/ES/EC/EF``, ``EMP/ESP/ECH/FAM``, "Employee
Only", "Employee/Spouse/Child"; answers as Y/N, yes/no, true/false. A dependent belongs to the employee
named in its ``Employee ID`` column or, without one, to the nearest employee row above it.

Nothing here touches the database, and nothing raises: each value that cannot be read is a
``RosterError`` (line, the column as the file names it, the rule ID, what is wrong, how to fix it).
Messages never repeat an SSN. What is read is ``RosterFamily`` data in ``Member`` field names, ready
for ``members.services.family_save``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from enrollment.census_import import MAX_ROWS, Readable, cell_text, read_table

from ..models import LINES, Election, Member

# Normalised header -> field. Elections: ``<line>_tier`` / ``<line>_plan``; ``coverage_tier`` is every line's.
HEADERS: dict[str, str] = {}
_ALIASES = {
    "member_ref": "memberref memberid employeeid employeeref employeenumber eeid id",
    "subscriber_ref": "subscriberref subscriberid employeeof dependentof",
    "relationship": "relationship relation rel relationshiptoemployee",
    "first_name": "firstname first givenname",
    "middle_name": "middlename middle middleinitial mi",
    "last_name": "lastname last surname familyname",
    "suffix": "suffix",
    "ssn": "ssn socialsecuritynumber socialsecurity social",
    "date_of_birth": "dateofbirth dob birthdate birthday",
    "gender": "gender sex",
    "marital_status": "maritalstatus",
    "email": "email emailaddress",
    "phone": "phone phonenumber mobile cell cellphone",
    "hire_date": "hiredate dateofhire hired",
    "hours_per_week": "hours hoursperweek weeklyhours",
    "employment_status": "employmentstatus status fulltimeparttime ftpt",
    "address_line1": "address addressline1 address1 street streetaddress",
    "address_line2": "addressline2 address2 apt suite",
    "city": "city",
    "state": "state",
    "zip": "zip zip5 zipcode postalcode",
    "county_fips": "county countyfips countycode",
    "tobacco_use": "tobacco tobaccouse smoker",
    "disabled": "disabled",
    "is_owner": "owner isowner",
    "is_owner_spouse": "isownerspouse ownerspouse",
    "coverage_tier": "coveragetier tier",
    "waiver_reason": "waiverreason",
    **{
        f"{line.lower()}_{kind}": f"{line.lower()}{kind} {line.lower()}{kind}code"
        for line in LINES
        for kind in ("tier", "plan")
    },
}
for _field, _names in _ALIASES.items():
    for _name in _names.split():
        HEADERS[_name] = _field
REQUIRED = ("relationship", "first_name", "last_name", "date_of_birth")
TEMPLATE_HEADERS = (
    "Employee ID",
    "Relationship",
    "First name",
    "Middle name",
    "Last name",
    "Suffix",
    "SSN",
    "Date of birth",
    "Gender",
    "Email",
    "Phone",
    "Hire date",
    "Hours per week",
    "Employment status",
    "Address",
    "Address line 2",
    "City",
    "State",
    "ZIP",
    "County FIPS",
    "Tobacco",
    "Medical tier",
    "Medical plan",
    "Dental tier",
    "Dental plan",
    "Vision tier",
    "Vision plan",
    "Waiver reason",
)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _words(table: str) -> dict[str, str]:
    """``"EMP: ee employee employeeonly; ESP: ..."`` -> {normalised word: code}."""
    out: dict[str, str] = {}
    for part in table.split(";"):
        code, words = part.split(":")
        for word in words.split():
            out[_key(word)] = code.strip()
    return out


RELATIONSHIPS = _words(
    "SUBSCRIBER: subscriber employee ee emp self e primary insured;"
    "SPOUSE: spouse sp s wife husband esposo esposa;"
    "DOMESTIC_PARTNER: domesticpartner dp partner;"
    "CHILD: child ch c son daughter hijo hija dependent;"
    "STEPCHILD: stepchild stepson stepdaughter;"
    "FOSTER_CHILD: fosterchild foster;"
    "WARD: ward"
)
TIERS = _words(
    "EMP: emp ee e employee employeeonly eeonly single individual;"
    "ESP: esp es employeespouse employeeandspouse employeeplusspouse eesp eespouse employeepartner;"
    "ECH: ech ec employeechild employeechildren employeeandchild employeeandchildren employeepluschildren "
    "eech eechild eechildren;"
    "FAM: fam ef f family employeefamily employeespousechild employeespousechildren "
    "employeespouseandchildren employeespouseandchild;"
    "WAIVE: waive waived w decline declined none"
)
GENDERS = _words("MALE: m male man; FEMALE: f female woman; UNKNOWN: u unknown")
EMPLOYMENT = _words("FULL_TIME: ft fulltime full f; PART_TIME: pt parttime part p")
YES = frozenset({"y", "yes", "true", "t", "1", "x", "si"})
NO = frozenset({"n", "no", "false", "f", "0"})
_EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug makes it the 30th)


@dataclass(frozen=True)
class RosterError:
    line: int
    column: str
    rule: str
    message: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass
class RosterPerson:
    line: int
    data: dict[str, Any]  # Member fields (dates as ``date``)
    ref: str = ""  # the Employee ID column, upper-cased ("" when not given)
    employee_ref: str = ""  # a dependent's subscriberRef column


@dataclass
class RosterFamily:
    employee: RosterPerson
    dependents: list[RosterPerson] = field(default_factory=list)
    tiers: dict[str, str] = field(default_factory=dict)  # line -> EMP/ESP/ECH/FAM/WAIVE, as given
    plans: dict[str, str] = field(default_factory=dict)  # line -> plan ID, as given
    waiver_reason: str = ""

    @property
    def lines(self) -> list[int]:
        return [self.employee.line] + [d.line for d in self.dependents]


@dataclass
class Roster:
    families: list[RosterFamily]
    errors: list[RosterError]
    columns: dict[str, str]  # field -> the file's header for it

    def column(self, name: str) -> str:
        return self.columns.get(name, name)


def _date(text: str, *, today: date) -> date | None:
    """ISO, m/d/yyyy, m/d/yy (a two-digit year is the latest not after next year), m-d-yyyy, an Excel
    serial number; raises ValueError otherwise."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # a date cell saved as its number
        return _EXCEL_EPOCH + timedelta(days=int(float(text)))
    found = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})", text)
    if not found:
        raise ValueError(text)
    month, day, year = (int(g) for g in found.groups())
    if len(found.group(3)) == 2:
        year += 2000 if 2000 + year <= today.year + 1 else 1900
    return date(year, month, day)


class _Row:
    """One row's values by field, and the errors found reading them."""

    def __init__(self, line: int, values: dict[str, str], columns: dict[str, str]) -> None:
        self.line, self.values, self.columns = line, values, columns
        self.errors: list[RosterError] = []

    def text(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def error(self, name: str, rule: str, message: str, fix: str) -> None:
        self.errors.append(RosterError(self.line, self.columns.get(name, name), rule, message, fix))

    def coded(self, name: str, words: dict[str, str], rule: str, fix: str) -> str:
        text = self.text(name)
        if not text:
            return ""
        code = words.get(_key(text))
        if code is None:
            self.error(
                name, rule, _("%(value)s is not a value this column takes.") % {"value": repr(text)}, fix
            )
            return ""
        return code

    def yes_no(self, name: str, rule: str) -> bool | None:
        text = _key(self.text(name))
        if not text:
            return None
        if text in YES:
            return True
        if text in NO:
            return False
        self.error(
            name,
            rule,
            _("%(value)s is not yes or no.") % {"value": repr(self.text(name))},
            _("Write Y or N (yes or no)."),
        )
        return None

    def when(self, name: str, rule: str, today: date) -> date | None:
        text = self.text(name)
        if not text:
            return None
        try:
            return _date(text, today=today)
        except ValueError:
            self.error(
                name,
                rule,
                _("%(value)s is not a date.") % {"value": repr(text)},
                _("Write the date as mm/dd/yyyy, m/d/yy or yyyy-mm-dd, e.g. 05/02/1980."),
            )
            return None


def _person(row: _Row, *, today: date) -> RosterPerson:
    data: dict[str, Any] = {}
    relationship = row.coded(
        "relationship",
        RELATIONSHIPS,
        "PTL-004",
        _("Write Employee, Spouse, Domestic partner, Child, Stepchild, Foster child or Ward."),
    )
    if not relationship and not row.text("relationship"):
        row.error(
            "relationship",
            "PTL-004",
            _("The relationship is empty."),
            _("Write Employee on the employee's row and Spouse or Child on each dependent's."),
        )
    data["relationship"] = relationship
    for name in ("first_name", "middle_name", "last_name", "city", "address_line1", "address_line2", "email"):
        if row.text(name):
            data[name] = row.text(name)
    suffix = row.text("suffix").upper().rstrip(".")
    if suffix:
        if suffix in Member.Suffix.values:
            data["suffix"] = suffix
        else:
            row.error(
                "suffix",
                "MBR-001",
                _("%(value)s is not a suffix.") % {"value": repr(row.text("suffix"))},
                _("Write JR, SR, II, III or IV, or leave it empty."),
            )
    ssn = re.sub(r"[\s-]", "", row.text("ssn"))
    if ssn:
        if re.fullmatch(r"\d{9}", ssn):
            data["ssn"] = ssn
        else:  # never repeat what was typed: it may be most of an SSN
            row.error(
                "ssn",
                "MBR-002",
                _("The SSN is not 9 digits."),
                _("Write the 9 digits of the Social Security number, with or without dashes."),
            )
    data["date_of_birth"] = row.when("date_of_birth", "MBR-003", today)
    gender = row.coded("gender", GENDERS, "MBR-004", _("Write M or F (male or female), or U."))
    if gender:
        data["gender"] = gender
    phone = row.text("phone")
    if phone:
        data["phone"] = phone
    data["tobacco_use"] = row.yes_no("tobacco_use", "MBR-013")
    for name in ("disabled", "is_owner", "is_owner_spouse"):
        answer = row.yes_no(name, "PTL-004")
        if answer is not None:
            data[name] = answer
    if relationship == "SUBSCRIBER":
        _employment(row, data, today=today)
        _address(row, data)
    return RosterPerson(
        row.line, data, ref=row.text("member_ref").upper(), employee_ref=row.text("subscriber_ref").upper()
    )


def _employment(row: _Row, data: dict[str, Any], *, today: date) -> None:
    data["hire_date"] = row.when("hire_date", "MBR-008", today)
    hours = row.text("hours_per_week")
    if hours:
        if re.fullmatch(r"\d{1,3}(\.0+)?", hours) and float(hours) <= 168:
            data["hours_per_week"] = int(float(hours))
        else:
            row.error(
                "hours_per_week",
                "MBR-008",
                _("%(value)s is not a number of hours.") % {"value": repr(hours)},
                _("Write the usual hours a week as a whole number, e.g. 40."),
            )
    status = row.coded("employment_status", EMPLOYMENT, "MBR-008", _("Write FT or PT (full or part time)."))
    if status:
        data["employment_status"] = status


def _address(row: _Row, data: dict[str, Any]) -> None:
    state = row.text("state").upper()
    if state:
        if re.fullmatch(r"[A-Z]{2}", state):
            data["state"] = state
        else:
            row.error(
                "state",
                "MBR-007",
                _("%(value)s is not a state code.") % {"value": repr(row.text("state"))},
                _("Write the state's two-letter code, e.g. KY."),
            )
    zip_text = re.sub(r"\s", "", row.text("zip"))
    if zip_text:
        found = re.fullmatch(r"(\d{5})(?:-?(\d{4}))?", zip_text)
        if found:
            data["zip5"], data["zip4"] = found.group(1), found.group(2) or ""
        else:
            row.error(
                "zip",
                "MBR-007",
                _("%(value)s is not a ZIP code.") % {"value": repr(row.text("zip"))},
                _("Write the 5-digit ZIP code, or ZIP+4 as 12345-6789."),
            )
    county = row.text("county_fips")
    if county:
        if re.fullmatch(r"\d{5}", county):
            data["county_fips"] = county
        else:
            row.error(
                "county_fips",
                "MBR-007",
                _("%(value)s is not a county FIPS code.") % {"value": repr(county)},
                _("Write the county's 5-digit FIPS code (state and county), e.g. 21111."),
            )


def _coverage(row: _Row, family: RosterFamily) -> None:
    every = row.coded(
        "coverage_tier", TIERS, "MBR-010", _("Write EE, ES, EC, EF (or Employee Only, Family) or Waive.")
    )
    for line in LINES:
        name = f"{line.lower()}_tier"
        tier = (
            row.coded(name, TIERS, "MBR-010", _("Write EE, ES, EC, EF (or Employee Only, Family) or Waive."))
            or every
        )
        if tier:
            family.tiers[line] = tier
        plan = row.text(f"{line.lower()}_plan").upper()
        if plan:
            family.plans[line] = plan
    reason = row.text("waiver_reason")
    if reason:
        code = reason.upper().replace(" ", "_")
        if code in Election.WaiverReason.values:
            family.waiver_reason = code
        else:
            row.error(
                "waiver_reason",
                "MBR-012",
                _("%(value)s is not a waiver reason.") % {"value": repr(reason)},
                _("Write one of: %(codes)s.") % {"codes": ", ".join(Election.WaiverReason.values)},
            )


def parse_roster(*, name: str, content: bytes | Readable, today: date | None = None) -> Roster:
    """Every family the file holds and every value it could not read (nothing is stored)."""
    today = today or datetime.now().date()
    table, unreadable = read_table(name=name, content=content)
    if unreadable is not None:
        return Roster(
            [], [RosterError(unreadable.line, "", "PTL-004", unreadable.message, unreadable.fix)], {}
        )
    header_cells = [cell_text(h) for h in table[0]]
    fields = [HEADERS.get(_key(h)) for h in header_cells]
    columns = {f: h for f, h in zip(fields, header_cells, strict=True) if f}
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        return Roster([], [_missing_columns(missing)], columns)
    families, orphans, errors = _read_people(table[1:], fields, columns, today)
    _place_named_dependents(families, orphans, errors, columns)
    errors.sort(key=lambda e: e.line)
    return Roster(families, errors, columns)


def _missing_columns(missing: list[str]) -> RosterError:
    return RosterError(
        1,
        ", ".join(missing),
        "PTL-004",
        _("Required columns are missing."),
        _(
            "Add the columns Relationship, First name, Last name and Date of birth "
            "to the header row (the roster template has them)."
        ),
    )


def _read_people(
    rows: list, fields: list[str | None], columns: dict[str, str], today: date
) -> tuple[list[RosterFamily], list[RosterPerson], list[RosterError]]:
    """The families in file order, the dependents that name their employee (placed once every employee
    is read), and the errors, row by row (at most ``MAX_ROWS`` people)."""
    families: list[RosterFamily] = []
    errors: list[RosterError] = []
    orphans: list[RosterPerson] = []
    people = 0
    for line, raw in enumerate(rows, start=2):
        # A cell past the header's columns has no field (zip stops there).
        values = {f: cell_text(v) for f, v in zip(fields, raw, strict=False) if f}
        if not any(values.values()):
            continue
        people += 1
        if people > MAX_ROWS:
            errors.append(
                RosterError(
                    line,
                    "",
                    "PTL-004",
                    _("More than %(n)s people.") % {"n": MAX_ROWS},
                    _("Split the roster into smaller files."),
                )
            )
            break
        row = _Row(line, values, columns)
        _add_person(row, _person(row, today=today), families, orphans)
        errors.extend(row.errors)
    return families, orphans, errors


def _add_person(
    row: _Row, person: RosterPerson, families: list[RosterFamily], orphans: list[RosterPerson]
) -> None:
    """An employee opens a family; a dependent joins the employee it names, else the one above it."""
    if person.data["relationship"] == "SUBSCRIBER":
        family = RosterFamily(person)
        _coverage(row, family)
        families.append(family)
    elif person.employee_ref:
        orphans.append(person)  # placed once every employee is read
    elif families:
        families[-1].dependents.append(person)
    elif person.data["relationship"]:
        row.error(
            "relationship",
            "PTL-004",
            _("This dependent comes before any employee."),
            _("Put each employee's row first, then the rows of their spouse and children."),
        )


def _place_named_dependents(
    families: list[RosterFamily],
    named: list[RosterPerson],
    errors: list[RosterError],
    columns: dict[str, str],
) -> None:
    by_ref = {f.employee.ref: f for f in families if f.employee.ref}
    for person in named:
        family = by_ref.get(person.employee_ref)
        if family is None:
            errors.append(
                RosterError(
                    person.line,
                    columns.get("subscriber_ref", "subscriber_ref"),
                    "PTL-004",
                    _("No employee row has the ID %(ref)s.") % {"ref": person.employee_ref},
                    _("Give the employee's own Employee ID, and include the employee's row."),
                )
            )
        else:
            family.dependents.append(person)

"""Code lists of ``api.md`` ("Code lists") and their ETSS and X12 834 equivalents."""

from __future__ import annotations

from enum import StrEnum


class Line(StrEnum):
    MEDICAL = "MEDICAL"
    DENTAL = "DENTAL"
    VISION = "VISION"


class Tier(StrEnum):
    EMP = "EMP"
    ESP = "ESP"
    ECH = "ECH"
    FAM = "FAM"


class Relationship(StrEnum):
    SUBSCRIBER = "SUBSCRIBER"
    SPOUSE = "SPOUSE"
    DOMESTIC_PARTNER = "DOMESTIC_PARTNER"
    CHILD = "CHILD"
    STEPCHILD = "STEPCHILD"
    FOSTER_CHILD = "FOSTER_CHILD"
    WARD = "WARD"


class Gender(StrEnum):
    MALE = "MALE"
    FEMALE = "FEMALE"
    UNKNOWN = "UNKNOWN"


class MaritalStatus(StrEnum):
    SINGLE = "SINGLE"
    MARRIED = "MARRIED"
    DIVORCED = "DIVORCED"
    WIDOWED = "WIDOWED"
    SEPARATED = "SEPARATED"
    DOMESTIC_PARTNER = "DOMESTIC_PARTNER"
    UNKNOWN = "UNKNOWN"


class EmploymentStatus(StrEnum):
    FULL_TIME = "FULL_TIME"
    PART_TIME = "PART_TIME"


class EntityType(StrEnum):
    CORPORATION = "CORPORATION"
    S_CORPORATION = "S_CORPORATION"
    LLC = "LLC"
    PARTNERSHIP = "PARTNERSHIP"
    SOLE_PROPRIETOR = "SOLE_PROPRIETOR"
    NON_PROFIT = "NON_PROFIT"
    GOVERNMENT = "GOVERNMENT"


class WaitingPeriod(StrEnum):
    FIRST_OF_MONTH_AFTER_HIRE = "FIRST_OF_MONTH_AFTER_HIRE"
    FIRST_OF_MONTH_AFTER_30_DAYS = "FIRST_OF_MONTH_AFTER_30_DAYS"
    FIRST_OF_MONTH_AFTER_60_DAYS = "FIRST_OF_MONTH_AFTER_60_DAYS"


class RatingOption(StrEnum):
    AGE = "AGE"
    COMPOSITE = "COMPOSITE"


class ContributionBasis(StrEnum):
    PERCENT = "PERCENT"
    FLAT = "FLAT"


class WaiverReason(StrEnum):
    SPOUSE_GROUP_COVERAGE = "SPOUSE_GROUP_COVERAGE"
    OTHER_GROUP_COVERAGE = "OTHER_GROUP_COVERAGE"
    MEDICARE = "MEDICARE"
    MEDICAID = "MEDICAID"
    TRICARE = "TRICARE"
    VA = "VA"
    INDIVIDUAL_COVERAGE = "INDIVIDUAL_COVERAGE"
    NO_OTHER_COVERAGE = "NO_OTHER_COVERAGE"
    OTHER = "OTHER"


# business-rules.md, "Valid waiver reasons": these two are accepted on the form but do
# not reduce the participation denominator.
VALID_WAIVER_REASONS = frozenset(WaiverReason) - {WaiverReason.NO_OTHER_COVERAGE, WaiverReason.OTHER}


class GroupStatus(StrEnum):
    CREATED = "CREATED"
    FINALIZED = "FINALIZED"
    ENROLLING = "ENROLLING"
    ENROLLED = "ENROLLED"


class RenewalStatus(StrEnum):
    """api.md *Statuses at a glance*, renewal (1.1)."""

    UPCOMING = "UPCOMING"
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    RENEWED = "RENEWED"
    NOT_RENEWED = "NOT_RENEWED"


class FileStatus(StrEnum):
    RECEIVED = "RECEIVED"
    PROCESSING = "PROCESSING"
    ACCEPTED = "ACCEPTED"
    ACCEPTED_WITH_ERRORS = "ACCEPTED_WITH_ERRORS"
    REJECTED = "REJECTED"


FINAL_FILE_STATUSES = frozenset({FileStatus.ACCEPTED, FileStatus.ACCEPTED_WITH_ERRORS, FileStatus.REJECTED})


class MemberEnrollmentStatus(StrEnum):
    NOT_SENT = "NOT_SENT"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


SPOUSE_RELATIONSHIPS = frozenset({Relationship.SPOUSE, Relationship.DOMESTIC_PARTNER})
CHILD_RELATIONSHIPS = frozenset(
    {Relationship.CHILD, Relationship.STEPCHILD, Relationship.FOSTER_CHILD, Relationship.WARD}
)

# api.md "Code lists": EMP employee only; ESP employee and spouse or partner; ECH employee and children;
# FAM both. The dependents each tier covers: a listed dependent its tier leaves out is not covered.
TIER_COVERS = {
    Tier.EMP: frozenset[Relationship](),
    Tier.ESP: SPOUSE_RELATIONSHIPS,
    Tier.ECH: CHILD_RELATIONSHIPS,
    Tier.FAM: SPOUSE_RELATIONSHIPS | CHILD_RELATIONSHIPS,
}


def tier_covers(tier: Tier | str, relationship: Relationship | str) -> bool:
    """Whether a tier covers a person of this relationship (the subscriber always)."""
    if relationship == Relationship.SUBSCRIBER:
        return True
    return relationship in TIER_COVERS[Tier(tier)]


# API <-> ETSS file
LINE_TO_ETSS = {Line.MEDICAL: "MED", Line.DENTAL: "DEN", Line.VISION: "VIS"}
ETSS_TO_LINE = {v: k for k, v in LINE_TO_ETSS.items()}
TIER_TO_ETSS = {Tier.EMP: "EE", Tier.ESP: "ES", Tier.ECH: "EC", Tier.FAM: "EF"}
ETSS_TO_TIER = {v: k for k, v in TIER_TO_ETSS.items()}

# API <-> X12 834
LINE_TO_X12 = {Line.MEDICAL: "HLT", Line.DENTAL: "DEN", Line.VISION: "VIS"}
X12_TO_LINE = {v: k for k, v in LINE_TO_X12.items()}
RELATIONSHIP_TO_X12 = {
    Relationship.SUBSCRIBER: "18",
    Relationship.SPOUSE: "01",
    Relationship.DOMESTIC_PARTNER: "53",
    Relationship.CHILD: "19",
    Relationship.STEPCHILD: "17",
    Relationship.FOSTER_CHILD: "10",
    Relationship.WARD: "15",
}
X12_TO_RELATIONSHIP = {v: k for k, v in RELATIONSHIP_TO_X12.items()}
GENDER_TO_X12 = {Gender.MALE: "M", Gender.FEMALE: "F", Gender.UNKNOWN: "U"}
X12_TO_GENDER = {v: k for k, v in GENDER_TO_X12.items()}
MARITAL_TO_X12 = {
    MaritalStatus.SINGLE: "I",
    MaritalStatus.MARRIED: "M",
    MaritalStatus.DIVORCED: "D",
    MaritalStatus.WIDOWED: "W",
    MaritalStatus.SEPARATED: "S",
    MaritalStatus.DOMESTIC_PARTNER: "B",
    MaritalStatus.UNKNOWN: "R",
}
X12_TO_MARITAL = {v: k for k, v in MARITAL_TO_X12.items()}
EMPLOYMENT_TO_X12 = {EmploymentStatus.FULL_TIME: "FT", EmploymentStatus.PART_TIME: "PT"}
X12_TO_EMPLOYMENT = {v: k for k, v in EMPLOYMENT_TO_X12.items()}

MEMBER_REF_PATTERN = r"^[A-Z0-9-]{1,30}$"
SENDER_ID_PATTERN = r"^[A-Z0-9]{2,15}$"

# State FIPS codes (GRP-004: a county's FIPS begins with its state's code).
STATE_FIPS = {
    "AL": "01", "AK": "02", "AZ": "04", "AR": "05", "CA": "06", "CO": "08", "CT": "09", "DE": "10",
    "DC": "11", "FL": "12", "GA": "13", "HI": "15", "ID": "16", "IL": "17", "IN": "18", "IA": "19",
    "KS": "20", "KY": "21", "LA": "22", "ME": "23", "MD": "24", "MA": "25", "MI": "26", "MN": "27",
    "MS": "28", "MO": "29", "MT": "30", "NE": "31", "NV": "32", "NH": "33", "NJ": "34", "NM": "35",
    "NY": "36", "NC": "37", "ND": "38", "OH": "39", "OK": "40", "OR": "41", "PA": "42", "RI": "44",
    "SC": "45", "SD": "46", "TN": "47", "TX": "48", "UT": "49", "VT": "50", "VA": "51", "WA": "53",
    "WV": "54", "WI": "55", "WY": "56",
}  # fmt: skip

"""The companion guide's "Data" rules for values written into an 834.

X12 5010 has no escape character, so a delimiter inside a value silently shifts every
element after it (``Smith*Jones`` becomes two elements, ``A~B`` ends the segment early).
The only safe course is to reduce every free-text value to the guide's character set
before it reaches the writer: upper-case ASCII, accents removed, anything outside
``A-Z 0-9 space & , . ' - # /`` dropped (e-mail keeps ``@ _ +`` too), runs of spaces
collapsed, cut to the element's maximum length.

The carrier applies the *same* clean-up to the validated values before comparing them
with a file's names (FIL-010), so both sides must share this module.

The clean-up is only safe for what it can spell: a letter of another script (``Σοφία``,
``張偉``) would be *dropped*, and ``ß`` grows to ``SS``. ``unsendable_characters`` and
``sent_length`` say so before anything is written, so the portal refuses such a value where
it is typed (PTL-001, PTL-003) and the writer refuses it rather than emptying or cutting it.
``nanp_phone`` gives a phone number the 10 digits the TR3 asks for (PTL-002).
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

# Maximum lengths the companion guide names (and the X12 element maxima for the rest).
MAX_LENGTHS: dict[str, int] = {
    "NM103": 60,  # last name
    "NM104": 35,  # first name
    "NM105": 25,  # middle name
    "NM107": 10,  # suffix
    "N102": 60,  # employer or agent name
    "N301": 55,  # address line 1
    "N302": 55,  # address line 2
    "N401": 30,  # city
    "PER04": 256,  # phone or e-mail
}

# Characters the guide allows in a value; e-mail addresses also keep these.
_ALLOWED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 &,.'-#/")
_EMAIL_EXTRA = frozenset("@_+")

_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

# The guide's delimiters: never allowed in a value, whatever the caller asks for.
DELIMITERS = frozenset("*~:^")

# Letters that NFKD does not decompose into an ASCII base letter.
_SPECIAL_LETTERS = str.maketrans(
    {
        "ß": "SS",
        "ẞ": "SS",
        "Æ": "AE",
        "æ": "AE",
        "Ø": "O",
        "ø": "O",
        "Œ": "OE",
        "œ": "OE",
        "Ł": "L",
        "ł": "L",
        "Đ": "D",
        "đ": "D",
        "Ð": "D",
        "ð": "D",
        "Þ": "TH",
        "þ": "TH",
        "ı": "I",
        "Ħ": "H",
        "ħ": "H",
        # Typographic punctuation that people paste from word processors: keep the meaning.
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "`": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
    }
)

_SPACES = re.compile(r" {2,}")


def _fold(value: str) -> str:
    """Map to upper-case ASCII letters where a sensible ASCII spelling exists."""
    value = value.translate(_SPECIAL_LETTERS)
    decomposed = unicodedata.normalize("NFKD", value)
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # upper() after NFKD: "ß".upper() is "SS" and some compatibility forms only decompose
    # to lower case; a second translate catches letters that upper() produced.
    return without_marks.upper().translate(_SPECIAL_LETTERS)


def clean_text(
    value: str | None,
    max_length: int | None = None,
    *,
    keep: frozenset[str] | str = frozenset(),
    forbidden: str = "",
) -> str:
    """Reduce ``value`` to the guide's character set and cut it to ``max_length``.

    ``keep`` adds characters to the allowed set (e-mail uses ``@ _ +``); ``forbidden``
    removes more (the writer passes the delimiters actually in use). The four standard
    delimiters are removed whatever ``keep`` says. ``None`` becomes ``""``.
    """
    if not value:
        return ""
    allowed = (_ALLOWED | frozenset(keep)) - DELIMITERS - frozenset(forbidden)
    folded = _fold(value)
    chars = []
    for ch in folded:
        if ch.isspace():
            chars.append(" ")
        elif ch in allowed:
            chars.append(ch)
    cleaned = _SPACES.sub(" ", "".join(chars)).strip()
    if max_length is not None:
        cleaned = cleaned[:max_length].rstrip()
    return cleaned


def clean_email(value: str | None, max_length: int = MAX_LENGTHS["PER04"], *, forbidden: str = "") -> str:
    """An e-mail address for PER: the guide's set plus ``@ _ +``, upper case, no spaces."""
    return clean_text(value, max_length, keep=_EMAIL_EXTRA, forbidden=forbidden).replace(" ", "")


def clean_digits(value: str | None, max_length: int | None = None) -> str:
    """Only the digits of ``value`` (phone numbers arrive as ``(502) 555-0111``)."""
    digits = "".join(ch for ch in (value or "") if ch.isascii() and ch.isdigit())
    return digits[:max_length] if max_length is not None else digits


def unsendable_characters(value: str | None) -> str:
    """The letters and digits of ``value`` that the clean-up would lose (other scripts), in order.

    ``""`` when every letter and digit has an ASCII spelling (``JOSÉ`` → ``JOSE``, ``ß`` → ``SS``).
    Punctuation and symbols are not counted: the rules that govern a field decide about those.
    """
    lost = []
    for ch in value or "":
        if ch.isalnum() and not any(c in _ALNUM for c in _fold(ch)):
            lost.append(ch)
    return "".join(lost)


def sent_length(value: str | None) -> int:
    """How many characters ``value`` has once cleaned, before any cut (``Straße`` → 7)."""
    return len(clean_text(value))


# The TR3's telephone number for a US number: area code and number, AAABBBCCCC, no extension.
_NANP_COUNTRY_CODE = 1


def nanp_phone(value: str | None) -> str | None:
    """The 10 digits of a North American Numbering Plan number, or None when ``value`` is not one.

    ``+1 502 555 0100 x9`` → ``5025550100``: a leading 1 or +1 and any extension are left out.
    Read with Google's libphonenumber data (``phonenumbers``), so an unassigned area code, a number
    of another country or a 7-digit local number is refused rather than guessed at.
    """
    if not value or not value.strip():
        return None
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != _NANP_COUNTRY_CODE or not phonenumbers.is_valid_number(number):
        return None
    digits = str(number.national_number)
    return digits if len(digits) == 10 else None


def clean_name_for_match(value: str | None, max_length: int | None = None) -> str:
    """The form in which the carrier compares a file's name with a validated one (FIL-010).

    business-rules.md compares names "after the companion guide's clean-up of the
    validated values": the validated value goes through exactly the writer's clean-up
    (with the element's maximum length, e.g. ``MAX_LENGTHS["NM103"]``). The file's value is
    passed through it as well, which changes nothing for a file written by the guide and
    keeps a lower-case or double-spaced value from a careless writer comparable.
    """
    return clean_text(value, max_length)


def names_match(file_value: str | None, validated_value: str | None, element: str) -> bool:
    """Whether a file's name element (``"NM103"`` …) matches the validated value after clean-up.

    A value that the clean-up empties matches nothing: ``Σοφία`` cleans to ``""`` like an absent
    name, and a nameless member must never pass for the validated one (issue 17). Two values that
    are both absent (no middle name on either side) still agree.
    """
    limit = MAX_LENGTHS[element]
    file_clean = clean_name_for_match(file_value, limit)
    validated_clean = clean_name_for_match(validated_value, limit)
    emptied = any((raw or "").strip() and not clean for raw, clean in (
        (file_value, file_clean), (validated_value, validated_clean)
    ))  # fmt: skip
    return not emptied and file_clean == validated_clean

"""The portal's own checks of what the 834 can carry (phase ``E``): PTL-001, PTL-002, PTL-003.

The carrier's MBR-001 accepts any letter and the companion guide then drops, at the writer, every letter
it cannot spell in ASCII and cuts every value to its element's length: "Σοφία Wang" would reach the
carrier with no first name. These rules refuse such a value where it is typed instead (issue 17):

* PTL-001, a name: Latin letters only, and within its NM1 element once written (``ß`` is ``SS``).
* PTL-002, a member's phone: a 10-digit NANP number (the TR3's ``AAABBBCCCC``); ``nanp_phone`` gives it.
* PTL-003, an address line or city: Latin letters and digits, within N301/N302 (55) and N401 (30).

A name in another script is refused, never transliterated silently: the spelling the carrier must hold
is the Latin one on the member's ID documents, which a library cannot know (``Σοφία`` is "Sofia" or
"Sophia"; ``山田`` reads "Yamada" in Japanese, "ShanTian" to a transliterator). For alphabetic scripts
(Greek, Cyrillic, Armenian, Georgian) the message shows anyascii's transliteration as a suggestion for the
person to check; for the others it shows none rather than a wrong guess.

The functions return an :class:`EntryProblem` (the rule, an English ``%``-template marked for
translation, its values) so the portal's forms can show it in the reader's language; ``check_member_entry``
runs the same checks over an api.md member-validation body. The carrier does not run them: they are not
registered for phase ``V``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from anyascii import anyascii

from ..x12.sanitize import MAX_LENGTHS, nanp_phone, sent_length, unsendable_characters
from . import catalog  # noqa: F401  (fills RULES before the rules register)
from ._base import Finding, Node, Violation, rule, run
from .catalog import gettext_noop

__all__ = [
    "ADDRESS_ELEMENTS",
    "NAME_ELEMENTS",
    "EntryProblem",
    "address_problem",
    "check_member_entry",
    "name_problem",
    "phone_problem",
    "transliteration_hint",
]

#: api.md member keys -> the 834 element that carries them.
NAME_ELEMENTS = {"firstName": "NM104", "middleName": "NM105", "lastName": "NM103"}
ADDRESS_ELEMENTS = {"line1": "N301", "line2": "N302", "city": "N401"}

# Scripts that anyascii spells letter by letter: its result is worth showing as a suggestion.
_ALPHABETS = frozenset({"GREEK", "CYRILLIC", "ARMENIAN", "GEORGIAN"})


@dataclass(frozen=True)
class EntryProblem:
    """One refusal: ``template % params`` is the English message (``template`` is in the catalogue)."""

    code: str
    template: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.template % self.params


def transliteration_hint(value: str) -> str | None:
    """anyascii's Latin spelling of ``value`` when every letter it cannot carry is of an alphabet."""
    lost = unsendable_characters(value)
    if not lost or any(unicodedata.name(ch, "").split(" ")[0] not in _ALPHABETS for ch in lost):
        return None
    return anyascii(value).strip() or None


def _script_problem(code: str, value: str) -> EntryProblem | None:
    lost = " ".join(unsendable_characters(value))
    if not lost:
        return None
    hint = transliteration_hint(value)
    if hint:
        return EntryProblem(
            code,
            gettext_noop(
                "The 834 carries Latin letters only: %(lost)s would be dropped. A transliteration reads "
                "“%(hint)s”: check it before using it."
            ),
            {"lost": lost, "hint": hint},
        )
    return EntryProblem(
        code, gettext_noop("The 834 carries Latin letters only: %(lost)s would be dropped."), {"lost": lost}
    )


def _length_problem(code: str, value: str, element: str) -> EntryProblem | None:
    length, limit = sent_length(value), MAX_LENGTHS[element]
    if length <= limit:
        return None
    return EntryProblem(
        code,
        gettext_noop("At most %(limit)s characters as the 834 writes it (ß is SS); this is %(length)s."),
        {"limit": limit, "length": length},
    )


def name_problem(value: str | None, element: str) -> EntryProblem | None:
    """PTL-001 for a name carried in ``element`` (``NM103``, ``NM104``, ``NM105``)."""
    if not value or not value.strip():
        return None
    if len(value) > MAX_LENGTHS[element]:
        return None  # MBR-001 (and the form's own limit) already says it is too long
    return _script_problem("PTL-001", value) or _length_problem("PTL-001", value, element)


def address_problem(value: str | None, element: str) -> EntryProblem | None:
    """PTL-003 for an address line (``N301``, ``N302``) or a city (``N401``)."""
    if not value or not value.strip():
        return None
    return _script_problem("PTL-003", value) or _length_problem("PTL-003", value, element)


def phone_problem(value: str | None) -> EntryProblem | None:
    """PTL-002: a phone number, when given, must be a NANP number (``nanp_phone`` normalises it)."""
    if not value or not value.strip() or nanp_phone(value) is not None:
        return None
    return EntryProblem(
        "PTL-002", gettext_noop("This is not a 10-digit US or Canadian phone number with its area code.")
    )


# ---- the same checks over a member-validation body


def _finding(node: Node, problem: EntryProblem | None) -> Iterator[Finding]:
    if problem is not None:
        yield Finding(node.pointer, problem.message)


@rule("PTL-001", when="E")
def _names(root: Node) -> Iterator[Finding]:
    for key, element in NAME_ELEMENTS.items():
        yield from _finding(root[key], name_problem(root[key].text(), element))


@rule("PTL-002", when="E")
def _phone(root: Node) -> Iterator[Finding]:
    yield from _finding(root["phone"], phone_problem(root["phone"].text()))


@rule("PTL-003", when="E")
def _address(root: Node) -> Iterator[Finding]:
    address = root["address"]
    if not address.is_dict:
        return
    for key, element in ADDRESS_ELEMENTS.items():
        yield from _finding(address[key], address_problem(address[key].text(), element))


def check_member_entry(body: dict[str, Any]) -> list[Violation]:
    """The portal's PTL rules over one member-validation body; never raises."""
    return run("E", Node(body))

"""What the walk of every portal page checks on each page it opens (issue 15 items 13, 14 and 15):

* ``axe_violations``: axe-core (vendored in ``tests/browser/axe``, run inside the page) over the whole
  document with its default rules (WCAG 2.x A and AA and the best practices), every impact;
* ``overflow``: how far the document is wider than the viewport (``scrollWidth``), the widest
  elements that stick out, and any text a table cell breaks inside a word;
* ``english_words``: words a Spanish page shows that only the English catalogue has: the words of the
  msgids of ``locale/es/LC_MESSAGES/django.po`` that no msgstr uses, less the demo data's own words
  (people's, employers' and plans' names, which no translation changes).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from tests.portal.test_translations import PO, entries

AXE = Path(__file__).resolve().parent / "axe" / "axe.min.js"
AXE_VERSION = "4.14.1"
WALK_JS = Path(__file__).resolve().parent / "walk.js"
WORD = re.compile(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ]+(?:['’][A-Za-z]+)?")


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now: rule id, impact, help and the first targets.

    ``evaluate`` runs the script through the DevTools protocol, which the page's Content-Security-Policy
    (scripts from 'self' only) does not govern, so the portal needs no exception for the tests."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 4).map(n => n.target.join(" ") + " :: " + n.failureSummary
                    .replace(/\\s+/g, " ").slice(0, 200)),
                count: v.nodes.length,
            }));
        }"""
    )
    return found


def _measures(page) -> None:
    if not page.evaluate("() => typeof window.portalWalk === 'object'"):
        page.evaluate(WALK_JS.read_text(encoding="utf-8"))


def overflow(page) -> dict:
    """The viewport's width, the document's ``scrollWidth``, elements past the right edge (outside a
    scroll container that fits) and words a table cell cuts over two lines."""
    _measures(page)
    return page.evaluate("() => portalWalk.overflow()")


def missing_idrefs(page) -> list[str]:
    """References to ids the page does not have (``aria-describedby`` at a help text not shown, a
    label ``for`` a field not there): axe only asks for a review of these, and a reader hears nothing."""
    _measures(page)
    return page.evaluate("() => portalWalk.missingIdrefs()")


def _words(text: str) -> set[str]:
    # Placeholders (%(line)s, {{ name }}), paths (POST /groups/104234/finalize) and tokens with a digit (a
    # correlation ID's hex, "3f0add91…", would read as "add") are no words of a language.
    text = re.sub(r"%\([a-z_]+\)[sd]|\{\{[^}]*\}\}|%[sd]|\S*/\S*|\S*\d\S*", " ", text)
    return {w.lower() for w in WORD.findall(text)}


@cache
def english_only_words() -> frozenset[str]:
    """Words of the English msgids that no Spanish msgstr has (so "Dental", "Total", "ZIP" are not)."""
    found = entries(PO)
    english = set().union(*(_words(e["msgid"]) for e in found))
    spanish = set().union(*(_words(e["msgstr"]) for e in found))
    return frozenset(w for w in english - spanish if len(w) > 2)


def english_words(page, data_words: set[str]) -> list[str]:
    """The English-only words on the page (text and the attributes people hear or read), data's aside,
    each with the first line it is on: ``"rates: Final rates beside the estimate"``."""
    _measures(page)
    english = english_only_words() - data_words
    found: dict[str, str] = {}
    for line in page.evaluate("() => portalWalk.text()").splitlines():
        for word in sorted(_words(line) & english):
            found.setdefault(word, line.strip()[:90])
    return [f"{word}: {line}" for word, line in sorted(found.items())]


def report(findings: dict[str, list]) -> str:
    """One line per page with what was found there (for the assertion's message)."""
    return "\n".join(f"{where}: {json.dumps(what, ensure_ascii=False)}" for where, what in findings.items())

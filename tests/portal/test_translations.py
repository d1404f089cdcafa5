"""The Spanish catalogue is complete: every string the templates and code mark for translation has a
Spanish text, none is fuzzy, and the compiled catalogue the site loads says the same."""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"


def _unquote(line: str) -> str:
    return line.strip()[1:-1].encode("raw_unicode_escape").decode("unicode_escape")


def entries(path: Path) -> list[dict]:
    """(msgid, msgstr, fuzzy) of a .po file; plural forms keep their first text."""
    out: list[dict] = []
    current: dict | None = None
    field = None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if current and current.get("msgid"):
                out.append(current)
            current, field = None, None
            continue
        current = current or {"msgid": "", "msgstr": "", "fuzzy": False, "msgctxt": None}
        if line.startswith("#,") and "fuzzy" in line:
            current["fuzzy"] = True
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            field, current["msgctxt"] = "msgctxt", _unquote(line[8:])
        elif line.startswith("msgid_plural"):
            field = None
        elif line.startswith("msgid "):
            field, current["msgid"] = "msgid", _unquote(line[6:])
        elif line.startswith(("msgstr ", "msgstr[0] ")):
            field = "msgstr"
            current["msgstr"] = _unquote(line.split(" ", 1)[1])
        elif line.startswith("msgstr["):
            field = None
        elif line.startswith('"') and field:
            current[field] += _unquote(line)
    return out


def test_it_has_a_spanish_text_for_every_string():
    found = entries(PO)
    assert len(found) > 100
    assert [e["msgid"] for e in found if not e["msgstr"]] == []
    assert [e["msgid"] for e in found if e["fuzzy"]] == []


def test_it_loads_the_same_texts_from_the_compiled_catalogue():
    with (PO.with_suffix(".mo")).open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)

    def compiled(e: dict) -> str:  # an entry with a context ("line of coverage") is looked up with it
        return catalogue.pgettext(e["msgctxt"], e["msgid"]) if e["msgctxt"] else catalogue.gettext(e["msgid"])

    stale = [e["msgid"] for e in entries(PO) if compiled(e) != e["msgstr"]]
    assert stale == [], "run: python manage.py compilemessages -l es"


def test_it_lists_every_string_marked_in_the_code(tmp_path):
    if shutil.which("xgettext") is None:
        if REQUIRE_SERVICES:
            pytest.fail("gettext (xgettext) is missing")
        pytest.skip("needs GNU gettext's xgettext to extract the marked strings")
    copy = tmp_path / "portal"
    shutil.copytree(
        ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "node_modules", "var", "*.sqlite3")
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"DJANGO_ENV": "test", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    extracted = {
        (e["msgctxt"], e["msgid"]) for e in entries(copy / "locale" / "es" / "LC_MESSAGES" / "django.po")
    }
    committed = {(e["msgctxt"], e["msgid"]) for e in entries(PO)}
    missing = sorted(extracted - committed, key=str)
    assert missing == [], "run makemessages -l es and translate the new strings"

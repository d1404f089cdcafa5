"""The sentences the portal records (timelines, why a group needs attention, why a file stopped) reach a
Spanish page in Spanish (issue 15 item 13): every reason the code writes has its template in
``portal.recorded``, and the page shows it translated, a status code in words."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from portal.recorded import RECORDED, recorded_template, recorded_words

ROOT = Path(__file__).resolve().parents[2]
# Where a sentence is written for the record: the keyword arguments of the state machines' moves.
REASON_KEYWORDS = {"reason", "status_reason", "change_reason"}
# Not the portal's code, or no person reads them: the sandbox is the carrier; a benchmark's own record.
SKIPPED = ("sandbox", "tests", "benchmarks", "loadtest")


def _literal(node: ast.AST) -> str | None:
    """The text a literal or an f-string writes, each interpolated value as ``VALUE1``, ``VALUE2``…"""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for n, value in enumerate(node.values):
            parts.append(value.value if isinstance(value, ast.Constant) else f"VALUE{n}")
        return "".join(parts)
    return None


def written_reasons() -> list[tuple[str, str]]:
    """(where, text) of every literal reason the portal's code passes to a state move."""
    found = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0].startswith(".") or rel.parts[0] in SKIPPED or "migrations" in rel.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    text = _literal(keyword.value) if keyword.arg in REASON_KEYWORDS else None
                    if text:
                        found.append((f"{rel}:{node.lineno}", text))
    return found


def test_it_finds_the_reasons_the_code_writes():
    texts = {text for _where, text in written_reasons()}
    assert "Submitted to the carrier" in texts
    assert any(t.startswith("The carrier finished the file: ") for t in texts)


def test_every_reason_the_code_writes_has_its_template():
    unknown = [f"{where}: {text!r}" for where, text in written_reasons() if recorded_template(text) is None]
    assert unknown == [], "add these to portal.recorded.RECORDED (and translate them)"


def test_every_template_has_a_spanish_text():
    with translation.override("es"):
        untranslated = [t for t, _kinds in RECORDED if translation.gettext(t) == t]
    assert untranslated == []


@pytest.mark.parametrize(
    ("recorded", "english", "spanish"),
    [
        ("Submitted to the carrier", "Submitted to the carrier", "Enviado a la aseguradora"),
        (
            "The carrier finished the file: ACCEPTED_WITH_ERRORS.",
            "The carrier finished the file: Accepted with errors.",
            "La aseguradora terminó el archivo: Aceptado con errores.",
        ),
        (
            "Created by the carrier as group 100234",
            "Created by the carrier as group 100234",
            "Creado por la aseguradora como grupo 100234",
        ),
        # Not the portal's sentence (an exception's words, a carrier's message): shown as it is.
        ("Connection reset by peer", "Connection reset by peer", "Connection reset by peer"),
    ],
)
def test_a_recorded_sentence_is_shown_in_the_reader_s_language(recorded, english, spanish):
    with translation.override("en"):
        assert recorded_words(recorded) == english
    with translation.override("es"):
        assert recorded_words(recorded) == spanish


def test_the_templates_do_not_overlap():
    """Each recorded sentence is read by one template only (the first one that matches wins)."""
    for template, _kinds in RECORDED:
        sample = re.sub(r"%\((\w+)\)s", lambda m: f"X{m.group(1)}", template)
        matches = [t for t, _k in RECORDED if re.fullmatch(_pattern(t), sample)]
        assert matches == [template], (template, matches)


def _pattern(template: str) -> str:
    parts = re.split(r"%\(\w+\)s", template)
    return ".+?".join(re.escape(p) for p in parts)

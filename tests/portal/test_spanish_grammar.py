"""Spanish with its grammar (issue 15 item 13): a line's name standing alone is a noun ("Cobertura
médica"); a phrase built on it is one text per line, the adjective after its noun and agreeing with it
("Plan médico", "cobertura de la vista"), never "Plan de Médica" or "cobertura De la vista"."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from members.forms import ElectionForm
from members.self_service_forms import CoverageForm
from portal.display import LINE_PHRASES, code_label, line_phrase

SPANISH = {
    ("MEDICAL", "plan"): "Plan médico",
    ("DENTAL", "plan"): "Plan dental",
    ("VISION", "plan"): "Plan de la vista",
    ("MEDICAL", "waive"): "No quiero cobertura médica",
    ("DENTAL", "waive"): "No quiero cobertura dental",
    ("VISION", "waive"): "No quiero cobertura de la vista",
    ("MEDICAL", "waiver_reason"): "Motivo para no tomar la cobertura médica",
    ("VISION", "waiver_reason"): "Motivo para no tomar la cobertura de la vista",
}
# What the interpolated texts read before: a line's name where Spanish wants an adjective.
BROKEN = re.compile(r"(Plan de|cobertura) (Médica|Dental|Visión|De la vista)")


@pytest.mark.parametrize(("line", "phrase"), sorted(SPANISH))
def test_a_phrase_on_a_line_reads_as_spanish(line, phrase):
    with translation.override("es"):
        assert line_phrase(line, phrase) == SPANISH[line, phrase]


def test_every_phrase_of_every_line_has_its_spanish_text():
    for phrase, lines in LINE_PHRASES.items():
        for line, english in lines.items():
            with translation.override("es"):
                spanish = line_phrase(line, phrase)
            assert spanish != str(english) and not BROKEN.search(spanish), (line, phrase, spanish)


def test_a_line_standing_alone_is_a_noun():
    with translation.override("es"):
        assert [code_label(line, "line") for line in ("MEDICAL", "DENTAL", "VISION")] == [
            "Cobertura médica",
            "Cobertura dental",
            "Cobertura de la vista",
        ]


@pytest.mark.parametrize("line", ["MEDICAL", "DENTAL", "VISION"])
def test_the_broker_s_and_the_employee_s_coverage_forms_speak_spanish(line):
    with translation.override("es"):
        broker = ElectionForm(line=line, plan_ids=[])
        employee = CoverageForm(line=line, plan_ids=[])
        words = [
            str(broker.fields["plan_id"].label),
            str(employee.fields["plan_id"].label),
            str(employee.fields["waiver_reason"].label),
            *(str(label) for _value, label in employee.fields["plan_id"].choices),
        ]
    assert words[0] == words[1] == SPANISH[line, "plan"]
    assert SPANISH[line, "waive"] in words
    assert not [w for w in words if BROKEN.search(w)]
    with translation.override("en"):  # the English stays what it was
        assert str(CoverageForm(line=line, plan_ids=[]).fields["waiver_reason"].label) == (
            f"Reason for not taking {line.title()} coverage"
        )

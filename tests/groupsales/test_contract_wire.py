"""The contract read as the carrier reads a request: strict JSON, camelCase names, api.md's SCHEMA words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carrier.schemas import InvalidCarrierRequest, request_body
from groupsales.contract.models import CreateGroupRequest, MemberValidationRequest
from groupsales.contract.wire import SchemaProblem, pointer_of, wire_problems
from tests.carrier import payloads


def _found(model, body) -> dict[str, str]:
    return {p.pointer: p.message for p in wire_problems(model, body)}


def test_it_reads_types_strictly_and_names_only_in_camel_case():
    body = payloads.create_group()
    body["workforce"]["totalEmployees"] = "3"
    body["employer"]["legal_name"] = body["employer"].pop("legalName")
    body["census"][0]["tobaccoUse"] = 0
    body["smallEmployerAttestation"]["signedAt"] = "60.00"  # pydantic alone reads it as 60 seconds
    assert _found(CreateGroupRequest, body) == {
        "/employer/legalName": "legalName is required.",
        "/workforce/totalEmployees": "A whole number is expected here.",
        "/smallEmployerAttestation/signedAt": "A timestamp like 2026-11-23T15:00:00Z is expected here.",
        "/census/0/tobaccoUse": "true or false is expected here.",
    }


@pytest.mark.parametrize("amount", ["60.0", "60", 60, 60.0, "sixty"])
def test_it_takes_money_on_the_wire_only_as_a_string_with_two_decimals(amount):
    body = payloads.create_group()
    body["offerings"][0]["contribution"]["employee"] = amount
    words = 'An amount as a string with two decimals ("412.50") is expected here.'
    assert _found(CreateGroupRequest, body) == {"/offerings/0/contribution/employee": words}


def test_the_portal_may_still_build_money_from_a_decimal_or_a_shorter_string():
    body = payloads.create_group()
    body["offerings"][0]["contribution"]["employee"] = "60.5"
    body["offerings"][1]["contribution"]["employee"] = Decimal("20")
    sent = request_body(CreateGroupRequest, body)
    assert [o["contribution"]["employee"] for o in sent["offerings"][:2]] == ["60.50", "20.00"]
    assert wire_problems(CreateGroupRequest, sent) == []


def test_a_value_outside_a_union_of_code_lists_is_one_problem_naming_every_value():
    body = payloads.create_group()
    body["census"][0]["coverageTier"] = "EVERYONE"
    body["census"][1]["memberRef"] = "e 002"
    assert _found(CreateGroupRequest, body) == {
        "/census/0/coverageTier": "The value must be one of EMP, ESP, ECH, FAM, WAIVE.",
        "/census/1/memberRef": "A reference of 1 to 30 capital letters, digits or hyphens is expected here.",
    }


def test_a_missing_and_a_null_value_are_both_missing_and_worded_apart():
    body = payloads.member()
    del body["gender"]
    body["dateOfBirth"] = None
    assert wire_problems(MemberValidationRequest, body) == [
        SchemaProblem("/dateOfBirth", "A value is required here (not null).", missing=True),
        SchemaProblem("/gender", "gender is required.", missing=True),
    ]
    assert wire_problems(MemberValidationRequest, ["not", "an", "object"]) == [
        SchemaProblem("", "An object is expected here.")
    ]


def test_the_client_refuses_with_the_same_pointers_and_words_as_the_carrier():
    body = payloads.create_group()
    del body["employer"]["fein"]
    body["eligibility"]["waitingPeriod"] = "WHENEVER"
    with pytest.raises(InvalidCarrierRequest) as caught:
        request_body(CreateGroupRequest, body)
    assert [(e.code, e.pointer, e.message) for e in caught.value.errors] == [
        ("SCHEMA", p.pointer, p.message) for p in wire_problems(CreateGroupRequest, body)
    ]
    assert "Input should be" not in str(caught.value)  # pydantic's own words stay inside


def test_a_pointer_escapes_its_tokens_and_leaves_out_pydantic_tags():
    assert pointer_of(("census", 0, "coverageTier", "str-enum[Tier]")) == "/census/0/coverageTier"
    assert pointer_of(("a/b", "c~d", "function-after[check()]")) == "/a~1b/c~0d"

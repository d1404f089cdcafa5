"""Request and response models of api.md: aliases, money, what is left out of a body."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carrier.schemas import InvalidCarrierRequest, request_body
from groupsales.contract.models import (
    AgentGroup,
    BatchValidationRequest,
    CreateGroupRequest,
    MemberValidationRequest,
    Page,
)

from . import payloads


def test_it_round_trips_the_create_group_example_of_api_md():
    assert request_body(CreateGroupRequest, payloads.CREATE_GROUP) == payloads.CREATE_GROUP


def test_it_accepts_snake_case_keys_and_sends_camel_case():
    model = CreateGroupRequest.model_validate(payloads.CREATE_GROUP)
    snake = model.model_dump()
    assert snake["employer"]["legal_name"] == "Blue Heron Bakery LLC"
    assert request_body(CreateGroupRequest, snake) == payloads.CREATE_GROUP


@pytest.mark.parametrize("amount", [60.0, "60.001", "sixty", True])
def test_it_refuses_money_that_is_not_an_exact_two_decimal_amount(amount):
    body = payloads.create_group()
    body["offerings"][0]["contribution"]["employee"] = amount
    with pytest.raises(InvalidCarrierRequest) as caught:
        request_body(CreateGroupRequest, body)
    assert caught.value.errors[0].pointer == "/offerings/0/contribution/employee"


def test_it_writes_money_with_two_decimals():
    body = payloads.create_group()
    body["offerings"][1]["contribution"]["employee"] = Decimal("20")
    assert request_body(CreateGroupRequest, body)["offerings"][1]["contribution"]["employee"] == "20.00"


def test_it_leaves_subscriber_only_keys_out_of_a_dependent():
    child = payloads.dependent("E-001-C2", "CHILD", "Noah", None, "2026-07-02")
    sent = request_body(MemberValidationRequest, child)
    assert sent["ssn"] is None and sent["middleName"] is None
    assert not {"address", "employment", "maritalStatus", "isOwner"} & set(sent)
    assert sent["coverage"] == [{"line": "MEDICAL"}, {"line": "DENTAL"}, {"line": "VISION"}]


def test_it_sends_a_waiver_without_plan_keys():
    body = payloads.member(
        coverage=[
            {"line": "MEDICAL", "planId": "12345KY0010001", "coverageTier": "EMP"},
            {"line": "DENTAL", "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"},
        ]
    )
    sent = request_body(MemberValidationRequest, body)
    assert sent["coverage"][1] == {"line": "DENTAL", "waived": True, "waiverReason": "OTHER_GROUP_COVERAGE"}


def test_it_refuses_a_member_ref_outside_the_pattern_and_a_batch_over_200():
    with pytest.raises(InvalidCarrierRequest, match="/memberRef"):
        request_body(MemberValidationRequest, payloads.member(memberRef="e 001"))
    with pytest.raises(ValueError, match="/members"):
        request_body(BatchValidationRequest, {"members": [payloads.ANN] * 201})


def test_it_knows_when_a_page_has_a_next_one():
    page = Page[AgentGroup].model_validate({"items": [], "page": 2, "pageSize": 50, "totalItems": 101})
    assert page.has_next
    assert (
        not Page[AgentGroup]
        .model_validate({"items": [], "page": 3, "pageSize": 50, "totalItems": 101})
        .has_next
    )

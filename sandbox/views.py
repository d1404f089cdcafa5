"""The sandbox's endpoints (api.md): thin handlers over ``groups``, ``member_validations``, ``finalize``
and ``files``."""

from __future__ import annotations

from django.http import HttpRequest

from . import files, renewals
from .finalize import group_finalize
from .groups import agent_groups as book_of_business
from .groups import group_create, group_detail, group_get, group_patch
from .http import Answer, ApiProblem, ApiRequest, endpoint, json_body, page_of, paging
from .member_validations import member_list, member_validate, member_withdraw, members_validate_batch
from .models import EnrollmentFile, Partner


def _group(partner: Partner, group_id: str):
    group = group_get(partner=partner, group_id=group_id)
    files.advance_group_files(group=group)
    group.refresh_from_db()
    renewals.renewals_advance(group=group)  # 1.1: the renewal's dates
    group.refresh_from_db()
    return group


@endpoint("GET")
def agent_groups(request: HttpRequest, partner: Partner, npn: str) -> Answer:
    page, size = paging(request)
    files.advance_partner_files(partner=partner)
    items = book_of_business(partner=partner, npn=npn, filters=request.GET.dict())
    return Answer(200, page_of(items, page, size))


@endpoint("POST")
def groups(request: ApiRequest, partner: Partner) -> Answer:
    body = json_body(request)
    created = group_create(partner=partner, body=body, idempotency_key=request.idempotency_key)
    return Answer(
        201, created, headers={"Location": request.build_absolute_uri(f"{request.path}/{created['groupId']}")}
    )


@endpoint("GET", "PATCH")
def group(request: HttpRequest, partner: Partner, group_id: str) -> Answer:
    if request.method == "PATCH":
        patch = json_body(request, patch=True)
        return Answer(200, group_patch(partner=partner, group_id=group_id, patch=patch))
    return Answer(200, group_detail(group=_group(partner, group_id)))


@endpoint("POST")
def finalize(request: HttpRequest, partner: Partner, group_id: str) -> Answer:
    body = json_body(request)
    if body not in ({}, None):
        raise ApiProblem.of(400, "MALFORMED_REQUEST", "Finalize takes an empty body ({}).")
    return Answer(200, group_finalize(partner=partner, group_id=group_id))


@endpoint("GET", "POST")
def member_validations(request: HttpRequest, partner: Partner, group_id: str) -> Answer:
    if request.method == "POST":
        body = json_body(request)
        return Answer(200, member_validate(partner=partner, group_id=group_id, body=body))
    page, size = paging(request)
    return Answer(200, page_of(member_list(group=_group(partner, group_id)), page, size))


@endpoint("POST")
def member_validations_batch(request: HttpRequest, partner: Partner, group_id: str) -> Answer:
    body = json_body(request)
    return Answer(200, members_validate_batch(partner=partner, group_id=group_id, body=body))


@endpoint("DELETE")
def member_validation(request: HttpRequest, partner: Partner, group_id: str, member_ref: str) -> Answer:
    _group(partner, group_id)
    member_withdraw(partner=partner, group_id=group_id, member_ref=member_ref)
    return Answer(204)


@endpoint("GET", "POST")
def enrollment_files(request: HttpRequest, partner: Partner, group_id: str) -> Answer:
    group = _group(partner, group_id)
    if request.method == "POST":
        file = files.file_upload(
            partner=partner, group=group, content=request.body, content_type=request.content_type or ""
        )
        location = request.build_absolute_uri(f"{request.path}/{file.file_id}")
        return Answer(202, files.file_receipt(file), headers={"Location": location})
    page, size = paging(request)
    items = [files.file_status(f) for f in group.files.order_by("id")]
    return Answer(200, page_of(items, page, size))


def _file(partner: Partner, group_id: str, file_id: str):
    group = _group(partner, group_id)
    file = group.files.filter(file_id=file_id).first()
    if file is None:
        raise ApiProblem.of(404, "NOT_FOUND", f"No file {file_id} in group {group_id}.")
    return file


@endpoint("GET")
def enrollment_file(request: HttpRequest, partner: Partner, group_id: str, file_id: str) -> Answer:
    return Answer(200, files.file_status(_file(partner, group_id, file_id)))


@endpoint("GET")
def acknowledgment(request: HttpRequest, partner: Partner, group_id: str, file_id: str) -> Answer:
    file = _file(partner, group_id, file_id)
    if not file.acknowledgment:
        if file.status in EnrollmentFile.IN_FLIGHT:
            raise ApiProblem.of(409, "INVALID_STATE", "The 999 is ready once processing has ended.")
        raise ApiProblem.of(
            409, "INVALID_STATE", "This file has no 999: its processing failed (FIL-999); send it again."
        )
    return Answer(200, file.acknowledgment, content_type=files.X12_CONTENT_TYPE)

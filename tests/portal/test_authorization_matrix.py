"""Who may open what, generated from the URL configuration so that no new view escapes it.

Every portal route that names an object is requested, with every method, by broker A (the owner), the
principal of A's agency, broker B of another agency and three staff users (no permission, view only,
view and change), with A's real objects in the URL. B and staff without permissions always get 404
(another party's object looks absent) or 405; view-only staff read every page but change nothing (403,
404 or 405 on every POST, the stored objects unchanged); A, the principal and staff with the change
permissions never get 404. The admin's actions are checked the same way, per permission, from the admin
registry. Anonymous visitors, employee links and the sandbox are covered by test_url_access.py.
"""

from __future__ import annotations

import base64
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from catalogue.models import Quote
from edi.models import Transmission
from employers.models import EmployerRequest
from enrollment.models import ApplicationDocument, GroupDocument
from maintenance.models import ChangeRequest
from members.models import RosterImport
from renewals.models import DecisionDocument, Renewal
from renewals.signing import decision_data_sha256
from tests.factories import BrokerFactory
from tests.members.conftest import ann, group, queued, rule_facts  # noqa: F401

from .test_url_access import all_routes

pytestmark = pytest.mark.django_db
METHODS = ("get", "post")
# Routes that take a URL kwarg but name no object of an agency (a format, a step name).
NOT_OBJECTS = {"quote_census_template", "password_reset_confirm", "book_export", "welcome"}


@pytest.fixture
def objects(group, ann):  # noqa: F811
    quote = Quote.objects.create(
        agency=group.agency, broker=group.broker, employer_name="Blue Heron Bakery LLC", zip5="40202",
        county_fips="21111", effective_date=group.requested_effective_date,
    )  # fmt: skip
    transmission = Transmission.objects.create(group=group)
    roster = RosterImport.objects.create(group=group, file_name="roster.csv")
    document = ApplicationDocument.objects.create(
        group=group, data_sha256="0" * 64, sha256="a" * 64, pdf_base64=base64.b64encode(b"%PDF-1.4").decode()
    )
    upload = GroupDocument.objects.create(
        group=group, requirement="DOC-001", filename="wages.pdf", content_type="application/pdf", size=8,
        sha256="b" * 64, content_base64=base64.b64encode(b"%PDF-1.4").decode(),
    )  # fmt: skip
    change = ChangeRequest.objects.create(
        group=group, member=ann, member_ref=ann.member_ref, subscriber_ref=ann.member_ref,
        relationship="SUBSCRIBER", event_type="DEMOGRAPHIC", action="CHANGE", event_date=date(2027, 3, 20),
        body_text="{}",
    )  # fmt: skip
    # Issue 22: the renewal decision the employer signs (its document) and a change the employer asked for.
    draft = {"renewalDate": "2028-01-01", "decision": "RENEW_AS_OFFERED"}
    renewal = Renewal.objects.create(
        group=group, renewal_date=date(2028, 1, 1), offer_date=date(2027, 10, 3),
        decision_deadline=date(2027, 12, 2), enrollment_cutoff=date(2027, 12, 31), decision_draft=draft,
    )  # fmt: skip
    decision = DecisionDocument.objects.create(
        renewal=renewal, decision=draft, data_sha256=decision_data_sha256(draft), sha256="c" * 64,
        pdf_base64=base64.b64encode(b"%PDF-1.4").decode(),
    )  # fmt: skip
    asked = EmployerRequest.objects.create(group=group, kind="NEW_HIRE", text="Priya starts", asked_by="Ann")
    return {"group": group, "member": ann, "quote": quote, "transmission": transmission, "roster": roster,
            "document": document, "upload": upload, "change": change, "decision": decision,
            "request": asked}  # fmt: skip


def _value(pattern: str, kwarg: str, converter: str, objects: dict) -> str:
    if kwarg == "fmt":
        return "csv"
    if kwarg == "report":
        return "enrollment"
    if kwarg == "sha256" and "/renewal/" in pattern:
        return objects["decision"].sha256
    if kwarg == "sha256":
        return objects["document"].sha256
    if "/employer-requests/<int:pk>" in pattern:
        return str(objects["request"].pk)
    if kwarg == "slug" and "/maintenance/event/" in pattern:
        return "birth"
    if converter == "slug":
        return "employer"
    if kwarg == "quote_pk" or pattern.startswith("quotes/"):
        return str(objects["quote"].pk)
    if kwarg == "change_pk":
        return str(objects["change"].pk)
    if kwarg == "member_pk":
        return str(objects["member"].pk)
    if kwarg == "group_pk":
        return str(objects["group"].pk)
    if "/documents/<int:pk>" in pattern:
        return str(objects["upload"].pk)
    if pattern.startswith("groups/<int:group_pk>/members/roster/"):
        return str(objects["roster"].pk)
    if pattern.startswith("groups/<int:group_pk>/members/"):
        return str(objects["member"].pk)
    if pattern.startswith("enrollment-files/<int:pk>"):
        return str(objects["transmission"].pk)
    return str(objects["group"].pk)


def object_paths(objects: dict) -> list[str]:
    paths = []
    for route in all_routes():
        name = route.name.rsplit(":", 1)[-1]
        if not route.converters or name in NOT_OBJECTS:
            continue
        if route.pattern.startswith(("admin/", "sandbox/", "enroll/")):
            continue
        path = route.pattern
        for kwarg, converter in route.converters:
            token = f"<{converter}:{kwarg}>" if f"<{converter}:{kwarg}>" in path else f"<{kwarg}>"
            path = path.replace(token, _value(route.pattern, kwarg, converter, objects))
        paths.append("/" + path)
    return paths


def test_it_answers_404_to_another_agency_for_every_object_url(client, objects, other_broker):
    client.force_login(other_broker.user)
    paths = object_paths(objects)
    assert len(paths) >= 20  # every object route of the portal (23 when this was written)
    for path in paths:
        for method in METHODS:
            status = getattr(client, method)(path).status_code
            assert status in (404, 405), f"broker B: {method.upper()} {path} answered {status}"


def test_it_answers_404_to_another_groups_employer_for_every_object_url(client, objects, other_broker):
    """An employer's login (issue 22): their own group only; every other group's URL, broker pages and
    employer pages alike, is absent."""
    from employers.services import employer_invite
    from tests.enrollment.conftest import make_complete_group

    theirs = make_complete_group(other_broker)
    contact = employer_invite(group=theirs, first_name="Eve", last_name="Other", email="eve@other.example",
                              title="Owner", language="en", by=other_broker.user)  # fmt: skip
    client.force_login(contact.user)
    paths = object_paths(objects)
    assert any(p.startswith("/employer/groups/") for p in paths)
    for path in paths:
        for method in METHODS:
            status = getattr(client, method)(path).status_code
            assert status in (404, 405), f"another employer: {method.upper()} {path} answered {status}"
    assert client.get(f"/employer/groups/{theirs.pk}/").status_code == 200


# What the broker pages show and change: the models whose permissions a staff user needs to reach them.
BROKER_PAGE_MODELS = [
    ("enrollment", "employergroup"),
    ("members", "member"),
    ("members", "invitation"),
    ("edi", "transmission"),
    ("catalogue", "quote"),
]


def staff_user(username: str, *actions: str):
    """A staff user (admin access) holding ``actions`` (view, change) on the broker pages' models."""
    user = get_user_model().objects.create_user(username, password="x", is_staff=True)
    codenames = [f"{action}_{model}" for action in actions for _app, model in BROKER_PAGE_MODELS]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return get_user_model().objects.get(pk=user.pk)  # no cached permissions


def snapshot(objects: dict) -> dict:
    """What a POST could change: the group, its members, invitations, files and the quote, as stored."""
    from members.models import Invitation, Member

    employer = objects["group"]
    return {
        "group": type(employer).objects.filter(pk=employer.pk).values().get(),
        "members": list(Member.objects.filter(group=employer).order_by("pk").values()),
        "invitations": list(Invitation.objects.filter(subscriber__group=employer).order_by("pk").values()),
        "transmissions": list(
            Transmission.objects.filter(group=employer).order_by("pk").values("pk", "status")
        ),
        "quote": Quote.objects.filter(pk=objects["quote"].pk).values().get(),
        "documents": list(
            GroupDocument.objects.filter(group=employer).order_by("pk").values("pk", "status", "replaced_at")
        ),
        "renewals": list(
            Renewal.objects.filter(group=employer).values("pk", "sending", "decision_draft", "decision_body")
        ),
        "decision_signatures": list(
            DecisionDocument.objects.filter(renewal__group=employer).values("pk", "voided_at", "signatures")
        ),
        "requests": list(EmployerRequest.objects.filter(group=employer).values("pk", "done_at")),
    }


def test_it_answers_404_to_staff_without_permissions_for_every_object_url(client, objects):
    client.force_login(staff_user("staff-no-perms"))
    before = snapshot(objects)
    for path in object_paths(objects):
        for method in METHODS:
            status = getattr(client, method)(path).status_code
            where = f"{method.upper()} {path}"
            assert status in (404, 405), f"staff without permissions: {where} answered {status}"
    assert snapshot(objects) == before


EMPLOYER_PAGES = "/employer/"  # the group's own employer only: brokers and staff use the broker pages


def broker_paths(objects: dict) -> list[str]:
    return [p for p in object_paths(objects) if not p.startswith(EMPLOYER_PAGES)]


def test_it_lets_view_only_staff_read_every_object_url_and_change_nothing(client, objects):
    client.force_login(staff_user("staff-viewer", "view"))
    before = snapshot(objects)
    for path in broker_paths(objects):
        status = client.get(path).status_code
        assert status != 404 and status < 500, f"view-only staff: GET {path} answered {status}"
        status = client.post(path, {"legal_name": "Renamed", "subscriber-first_name": "Eve"}).status_code
        assert status in (403, 404, 405), f"view-only staff: POST {path} answered {status}"
    assert snapshot(objects) == before


@pytest.mark.parametrize("who", ["owner", "principal", "staff"])
def test_it_never_hides_an_object_from_those_who_may_see_it(client, objects, agency, broker, who):
    if who == "owner":
        user = broker.user
    elif who == "principal":
        user = BrokerFactory(agency=agency, role="PRINCIPAL", user__username="dana").user
    else:
        user = staff_user("root", "view", "change")
    client.force_login(user)
    for path in broker_paths(objects):
        status = client.get(path).status_code
        assert status != 404 and status < 500, f"{who}: GET {path} answered {status}"


def test_it_shows_the_groups_own_employer_its_employer_pages(client, objects, broker):
    from employers.services import employer_invite

    contact = employer_invite(
        group=objects["group"], first_name="Ann", last_name="Lee", email="ann.hr@example.com",
        title="Owner", language="en", by=broker.user,
    )  # fmt: skip
    client.force_login(contact.user)
    employer_pages = [p for p in object_paths(objects) if p.startswith(EMPLOYER_PAGES)]
    assert employer_pages
    for path in employer_pages:
        status = client.get(path).status_code
        assert status != 404 and status < 500, f"employer: GET {path} answered {status}"


def test_it_keeps_a_broker_of_the_same_agency_out_of_a_colleagues_group(client, objects, agency):
    colleague = BrokerFactory(agency=agency, user__username="colleague")
    client.force_login(colleague.user)
    for path in object_paths(objects):
        assert client.get(path).status_code in (404, 405), path


# --------------------------------------------------------------------------- admin actions


def admin_actions() -> list[tuple[type, object, str, object]]:
    """(model, its ModelAdmin, action name, action function) for every action of every admin page."""
    from django.contrib import admin

    found = []
    for model, model_admin in admin.site._registry.items():
        for name in list(model_admin.actions or ()) + [n for n, _f in admin.site.actions]:
            func, name, _description = model_admin.get_action(name)
            found.append((model, model_admin, name, func))
    return found


def _admin_request(rf, user):
    request = rf.post("/admin/")
    request.user = user
    return request


def test_every_admin_action_declares_the_permission_it_needs():
    undeclared = [
        f"{model._meta.label}: {name}"
        for model, _admin, name, func in admin_actions()
        if not getattr(func, "allowed_permissions", ())
    ]
    assert undeclared == []
    assert len(admin_actions()) >= 8  # the portal's own actions and delete_selected (9 when written)


def test_view_only_staff_are_offered_no_admin_action(rf):
    checked = 0
    for model, model_admin, name, _func in admin_actions():
        opts = model._meta
        user = get_user_model().objects.create_user(f"viewer-{opts.label_lower}-{name}", is_staff=True)
        user.user_permissions.set(Permission.objects.filter(codename=f"view_{opts.model_name}"))
        user = get_user_model().objects.get(pk=user.pk)
        assert model_admin.has_view_permission(_admin_request(rf, user))
        offered = model_admin.get_actions(_admin_request(rf, user))
        assert name not in offered, f"view-only staff may run {opts.label}: {name}"
        checked += 1
    assert checked >= 8


def test_staff_who_may_change_are_offered_the_portals_admin_actions(rf):
    for model, model_admin, name, func in admin_actions():
        opts = model._meta
        user = get_user_model().objects.create_user(f"editor-{opts.label_lower}-{name}", is_staff=True)
        codenames = [f"{p}_{opts.model_name}" for p in ("view", *func.allowed_permissions)]
        user.user_permissions.set(Permission.objects.filter(content_type__app_label=opts.app_label,
                                                            codename__in=codenames))  # fmt: skip
        user = get_user_model().objects.get(pk=user.pk)
        request = _admin_request(rf, user)
        if not all(getattr(model_admin, f"has_{p}_permission")(request) for p in func.allowed_permissions):
            continue  # e.g. delete where the page allows no deleting at all
        assert name in model_admin.get_actions(request), f"{opts.label}: {name}"

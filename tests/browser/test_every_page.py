"""Every portal page, in English and Spanish, on a desktop and on a 390 px phone (issue 15 items 13-15).

The demo data comes from the project's own seed (``seed_demo``: a draft, a group in open enrollment, a
finalized one and two enrolled, one of them with a rejected family), and the employee's pages from an
invitation the portal's service sends to a seeded employee. The walk opens each page a broker, the
employer's group pages and an employee reach (with a form refused and a message shown too), and on
each one requires:

* axe-core: no violation of any impact (desktop and phone);
* the document no wider than the viewport (390 px on the phone), and no word cut inside a table cell;
* in Spanish: no word that only the English catalogue has;
* and, so that the walk proves something, that each page answered (no 4xx or 5xx on the way) in the
  walk's language, with a heading.

Django's admin is not walked: it is Django's own (translated by Django), for staff only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from members.models import Member
from tests.browser.walk import (
    AXE,
    AXE_VERSION,
    axe_violations,
    english_words,
    missing_idrefs,
    overflow,
    report,
)

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = os.environ.get("PORTAL_WALK_SCREENSHOTS")
DEVICES = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.fixture
def seeded(monkeypatch) -> dict:
    """``seed_demo``'s groups by stage, its quote and the employee link of one of its employees."""
    from catalogue.models import Quote
    from enrollment.models import EmployerGroup
    from members import self_service

    # The work the services hand to Celery on commit is kept here: nothing is left to run after the test.
    monkeypatch.setattr("members.tasks.validate_group_members.delay", lambda group_id: None)
    monkeypatch.setattr("edi.tasks.upload_transmission.delay", lambda pk: None)
    monkeypatch.setattr("edi.tasks.poll_transmission.apply_async", lambda *a, **k: None)
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "FAILED" not in out.getvalue(), out.getvalue()
    groups = {g.legal_name: g for g in EmployerGroup.objects.filter(broker__user__username="broker")}
    cardinal = groups["Cardinal Coffee Co"]
    ann = Member.objects.get(group=cardinal, member_ref="E-001")  # has an e-mail address
    invitation = self_service.invitation_send(subscriber=ann, by=None)
    # A second employee's link for the pages that refuse what was typed (its draft keeps it: Ann signs).
    luis = Member.objects.get(group=cardinal, member_ref="E-002")
    Member.objects.filter(pk=luis.pk).update(email="luis@example.com")
    luis.refresh_from_db()
    refusals = self_service.invitation_send(subscriber=luis, by=None)
    life_token = _life_event_link(groups["Derby Day Bakery LLC"])
    return {
        "life_token": life_token,
        "draft": groups["Blue Heron Bakery LLC"],
        "open": cardinal,
        "finalized": groups["Bourbon Street Bikes LLC"],
        "enrolled": groups["Derby Day Bakery LLC"],
        "rejected": groups["Mammoth Cave Outfitters"],
        "quote": Quote.objects.get(employer_name="Blue Heron Bakery LLC"),
        "token": invitation.token,
        "refusals_token": refusals.token,
    }


def data_words(seeded: dict) -> set[str]:
    """The demo data's own words (names of people, employers, plans, places): no translation's business."""
    from agencies.models import Agency, Broker
    from catalogue.models import Plan
    from enrollment.models import EmployerGroup, Notice
    from tests.browser.walk import _words

    texts: list[str] = []
    for g in EmployerGroup.objects.all():
        texts += [g.legal_name, g.dba_name, g.address_line1, g.city, g.contact_first_name]
        texts += [g.contact_last_name, g.attestation_signed_by, g.attestation_title, g.contact_email]
    for m in Member.objects.all():
        texts += [m.first_name, m.last_name, m.address_line1, m.city, m.email]
    texts += [p.marketing_name for p in Plan.objects.all()]
    # An e-mail's subject is quoted as it was sent, in its recipient's language.
    texts += list(Notice.objects.values_list("subject", flat=True))
    texts += [a.name for a in Agency.objects.all()]
    texts += [f"{b.user.get_full_name()} {b.user.username} {b.user.email}" for b in Broker.objects.all()]
    return _words(" ".join(t for t in texts if t))


@dataclass
class Stop:
    name: str
    go: Callable[[object, str], None]  # (page, base url): opens the page in the state to check


def _open(path: str) -> Callable:
    def go(page, url: str) -> None:
        page.goto(f"{url}{path}")

    return go


def _submit(path: str, button: str) -> Callable:
    """Open ``path`` and press its submit button (CSS selector) as it is: the page that refuses it."""

    def go(page, url: str) -> None:
        page.goto(f"{url}{path}")
        page.locator(button).first.click()
        page.wait_for_load_state("load")

    return go


def _clear_and_submit(path: str, field: str, button: str) -> Callable:
    def go(page, url: str) -> None:
        page.goto(f"{url}{path}")
        page.fill(field, "")
        page.locator(button).first.click()
        page.wait_for_load_state("load")

    return go


def _then(path: str, *actions: Callable) -> Callable:
    """Open ``path``, then do ``actions`` (each takes the page) in turn."""

    def go(page, url: str) -> None:
        page.goto(f"{url}{path}")
        for action in actions:
            action(page)
        page.wait_for_load_state("load")

    return go


def _life_event_link(group) -> str:
    """An enrolled employee's life-event link (``maintenance.self_service``)."""
    from maintenance.self_service import life_event_link_send

    subscriber = Member.objects.filter(group=group, relationship="SUBSCRIBER").order_by("pk").first()
    Member.objects.filter(pk=subscriber.pk).update(email=subscriber.email or "derby@example.com")
    subscriber.refresh_from_db()
    return life_event_link_send(subscriber=subscriber)[1]


def maintenance_stops(s: dict) -> Iterator[Stop]:
    pk = s["enrolled"].pk
    yield Stop("enrolled changes", _open(f"/groups/{pk}/maintenance/"))
    yield Stop("enrolled new hire", _open(f"/groups/{pk}/maintenance/new-hire"))
    for slug in ("birth", "divorce", "details", "loss-of-coverage", "reinstatement"):
        yield Stop(f"enrolled life event {slug}", _open(f"/groups/{pk}/maintenance/event/{slug}"))
    yield Stop(
        "enrolled life event refused",
        _submit(f"/groups/{pk}/maintenance/event/birth", "main form button[type=submit]"),
    )
    yield Stop("enrolled people", _open(f"/groups/{pk}/maintenance/people"))
    subscriber = Member.objects.filter(group_id=pk, relationship="SUBSCRIBER").order_by("pk").first()
    yield Stop("enrolled member timeline", _open(f"/groups/{pk}/maintenance/people/{subscriber.pk}"))


def broker_stops(s: dict) -> Iterator[Stop]:
    draft, opened, quote = s["draft"].pk, s["open"].pk, s["quote"].pk
    yield Stop("book", _open("/"))
    yield Stop("quote list", _open("/quotes/"))
    yield Stop("new quote", _open("/quotes/new/"))
    yield Stop("new quote refused", _submit("/quotes/new/", "form.quote-form button[type=submit]"))
    yield Stop("quote", _open(f"/quotes/{quote}/"))
    for step in ("employer", "address", "contact", "agent", "coverage", "plans", "contributions", "census",
                 "attestation", "review"):  # fmt: skip
        yield Stop(f"draft {step}", _open(f"/groups/{draft}/{step}"))
    yield Stop(
        "draft employer refused",
        _clear_and_submit(f"/groups/{draft}/employer", "#id_legal_name", "main form button[type=submit]"),
    )
    for stage in ("draft", "open", "finalized", "enrolled", "rejected"):
        pk = s[stage].pk
        yield Stop(f"{stage} group", _open(f"/groups/{pk}/"))
        if stage != "draft":
            yield Stop(f"{stage} members", _open(f"/groups/{pk}/members/"))
            subscriber = Member.objects.filter(group_id=pk, relationship="SUBSCRIBER").order_by("pk").first()
            yield Stop(f"{stage} family", _open(f"/groups/{pk}/members/{subscriber.pk}/"))
        if stage in ("finalized", "enrolled", "rejected"):
            yield Stop(f"{stage} enrollment files", _open(f"/enrollment-files/groups/{pk}/"))
    from edi.models import Transmission

    for stage in ("enrolled", "rejected"):
        transmission = Transmission.objects.filter(group=s[stage]).first()
        yield Stop(f"{stage} file", _open(f"/enrollment-files/{transmission.pk}/"))
    yield Stop(
        "draft employer checked as typed",  # the errors the page's script shows beside the field
        _then(
            f"/groups/{draft}/employer",
            lambda page: page.fill("#id_fein", "1"),
            lambda page: page.locator("#field-fein .live-errors li").first.wait_for(),
        ),
    )
    yield Stop("open change employer", _open(f"/groups/{opened}/employer"))
    yield Stop("open change review", _open(f"/groups/{opened}/review"))
    yield Stop("new family", _open(f"/groups/{opened}/members/new"))
    yield Stop("new family refused", _submit(f"/groups/{opened}/members/new", ".actions button[type=submit]"))
    yield Stop(
        "new family, two dependents added",
        _then(
            f"/groups/{opened}/members/new",
            lambda page: page.locator("[data-add-dependent]").click(),
            lambda page: page.locator("[data-add-dependent]").click(),
            lambda page: page.locator(".dependent-form").nth(2).wait_for(),
        ),
    )
    yield Stop(
        "members after a message", _submit(f"/groups/{opened}/members/", "form[action$=validate] button")
    )
    yield from maintenance_stops(s)


def employee_stops(s: dict) -> Iterator[Stop]:
    token = s["token"]
    for step in ("", "details", "family", "coverage", "review"):
        yield Stop(f"employee {step or 'start'}", _open(f"/enroll/{token}/{step}"))
    sign = "form.ss-sign button[type=submit]"
    yield Stop("employee sign refused", _submit(f"/enroll/{token}/review", sign))
    yield Stop(
        "employee signed",
        _then(
            f"/enroll/{token}/review",
            lambda page: page.check("form.ss-sign input[type=checkbox]"),
            lambda page: page.fill("form.ss-sign input[name$=signed_name]", "Ann Lee"),
            lambda page: page.click("form.ss-sign button[type=submit]"),
            lambda page: page.locator(".ss-confirm").wait_for(),
        ),
    )
    yield Stop("employee link once signed", _open(f"/enroll/{token}/"))
    other = s["refusals_token"]
    yield Stop(
        "employee details refused",
        _clear_and_submit(
            f"/enroll/{other}/details", "input[name$=first_name]", "main form button[type=submit]"
        ),
    )
    yield Stop(
        "employee family, a person added",
        _then(f"/enroll/{other}/family", lambda page: page.locator("button[name=add]").click()),
    )
    life = s["life_token"]
    yield Stop("employee life events", _open(f"/enroll/life-events/{life}/"))
    for slug in ("birth", "details"):
        yield Stop(f"employee life event {slug}", _open(f"/enroll/life-events/{life}/{slug}"))


def anonymous_stops() -> Iterator[Stop]:
    yield Stop("login", _open("/accounts/login/"))
    yield Stop("login refused", _submit("/accounts/login/", "main form button[type=submit]"))
    yield Stop("password reset", _open("/accounts/password_reset/"))
    yield Stop("password reset sent", _open("/accounts/password_reset/done/"))


def log_in(page, url: str) -> None:
    from portal.management.commands.seed_demo import DEMO_PASSWORD

    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", "broker")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{url}/")


def walk(browser, url: str, seeded: dict, *, device: str, language: str) -> dict[str, dict]:
    """Each page's findings: {page: {"axe": [...], "width": {...}, "english": [...]}} (only what failed)."""
    context = browser.new_context(**DEVICES[device])
    context.add_cookies([{"name": "django_language", "value": language, "url": url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    words = data_words(seeded) if language == "es" else set()
    findings: dict[str, dict] = {}
    answers: list[tuple[int, str]] = []  # each page the browser was given (a refusal is a 200 page too)
    page.on(
        "response",
        lambda r: answers.append((r.status, r.url)) if r.request.is_navigation_request() else None,
    )

    def check(stop: Stop) -> None:
        answers.clear()
        stop.go(page, url)
        page.wait_for_load_state("load")
        found: dict = {}
        if failed := [f"{status} {where}" for status, where in answers if status >= 400]:
            found["answer"] = failed  # a walk of error pages would prove nothing
        if page.locator("html").get_attribute("lang") != language or not page.locator("main h1").count():
            found["page"] = [page.locator("html").get_attribute("lang"), page.title()]
        if violations := axe_violations(page):
            found["axe"] = violations
        if missing := missing_idrefs(page):
            found["idrefs"] = missing
        size = overflow(page)  # the phone is the case; a desktop page must fit as well
        if size["scrollWidth"] > size["viewport"] or size["broken"]:
            found["width"] = size
        if language == "es" and (english := english_words(page, words)):
            found["english"] = english
        if SCREENSHOTS:  # to look at the pages: PORTAL_WALK_SCREENSHOTS=/tmp/shots pytest …
            name = re.sub(r"\W+", "-", f"{device}-{language}-{stop.name}")
            page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)
        if found:
            findings[f"{stop.name} ({page.url.removeprefix(url)})"] = found

    try:
        for stop in anonymous_stops():
            check(stop)
        log_in(page, url)
        for stop in broker_stops(seeded):
            check(stop)
        context.clear_cookies()
        context.add_cookies([{"name": "django_language", "value": language, "url": url}])
        for stop in employee_stops(seeded):
            check(stop)
    finally:
        context.close()
    return findings


def test_it_runs_the_vendored_axe_core_of_the_recorded_version():
    assert f"axe v{AXE_VERSION}" in AXE.read_text(encoding="utf-8")[:200]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_every_page_passes_axe_fits_the_screen_and_speaks_the_language(
    browser, live_server, seeded, device, language
):
    findings = walk(browser, live_server.url, seeded, device=device, language=language)
    assert findings == {}, "\n" + report(findings)


def test_the_measures_see_what_they_look_for(phone_page):
    """The walk's own measures, on a page made to break each rule once (a walk that finds nothing must
    be a walk that could have)."""
    phone_page.set_content(
        """<html lang="es"><head><meta name="viewport" content="width=device-width"></head>
        <body><main><h1>Prueba</h1>
        <table><tr><td style="width: 3ch; max-width: 3ch; overflow-wrap: anywhere">MEDICAL</td></tr></table>
        <div style="width: 800px">ancho</div>
        <input aria-describedby="missing_helptext"><ul role="status"><li>Saved</li></ul>
        <p>Final rates beside the estimate</p></main></body></html>"""
    )
    size = overflow(phone_page)
    assert size["scrollWidth"] > size["viewport"] == 390
    assert "MEDICAL" in size["broken"]
    assert missing_idrefs(phone_page) == ["input# aria-describedby=missing_helptext"]
    assert "listitem" in {v["id"] for v in axe_violations(phone_page)}
    assert [w.split(":")[0] for w in english_words(phone_page, set())] == [
        "beside",
        "estimate",
        "medical",
        "rates",
        "saved",
    ]

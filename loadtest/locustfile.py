"""The load test's users (docs/load.md), run by ``python -m loadtest`` through Locust; not a portal module.

* An **employee** walks their invitation link: start, then details, family, coverage and review, each
  a GET and a POST of the values the form shows (the first plan of every line; the signature with a
  name and the box ticked), then done. Once signed, the link answers start -> 302, then done: what the
  employee repeats until the time is up.
* A **broker** logs in once (CSRF; the POST goes to the login pool, as nginx routes it), then browses
  the book: ``/``, ``/?page=N``, ``/?q=Load+Employer+N`` and a group page.

Redirects are not followed (the redirect IS the expected answer). An error is an exception, a status
other than the expected one, or a form POST answered 200 (refused). Each request names its page in an
``X-Loadtest-Page`` header, so the gunicorn hooks (``loadtest.gunicorn_cpu``) count its CPU time per page.

Set by ``python -m loadtest`` in the environment: LOADTEST_SEED (``{"links": [...], "group_ids": [...]}``),
LOADTEST_EMPLOYEES, LOADTEST_BROKERS, LOADTEST_THINK (mean think time, s, ±50 %), LOADTEST_LOGIN_HOST
(the login pool, or empty) and LOADTEST_OUT (where every request is written as JSON when Locust quits).
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from pathlib import Path
from urllib.parse import urlencode

import lxml.html
from locust import FastHttpUser, between, events, task
from locust.exception import RescheduleTask

SEED = json.loads(Path(os.environ["LOADTEST_SEED"]).read_text())
THINK = float(os.environ.get("LOADTEST_THINK", "1"))
LOGIN_HOST = os.environ.get("LOADTEST_LOGIN_HOST", "")
DEMO_PASSWORD = "enroll-demo-2026"
RECORDS: list[tuple[str, float, float, str | None]] = []  # page, start (epoch s), ms, error
SIGNED: list[float] = []  # when each employee signed (epoch s)


@events.request.add_listener
def _record(name, start_time, response_time, exception, **_kwargs) -> None:
    RECORDS.append((name, start_time, response_time, str(exception) if exception else None))


@events.user_error.add_listener
def _driver_error(user_instance, exception, tb, **_kwargs) -> None:
    """An exception of the user's own code (a page without its form): counted, the user goes on."""
    RECORDS.append(("driver exception", time.time(), 0.0, f"{type(exception).__name__}: {exception}"))


@events.quitting.add_listener
def _dump(environment, **_kwargs) -> None:
    Path(os.environ["LOADTEST_OUT"]).write_text(json.dumps({"records": RECORDS, "signed": SIGNED}))


def form_of(html: str, action: str | None = None) -> lxml.html.FormElement:
    """The page's POST form without an ``action`` (the self-service steps), or the one posting to it."""
    for form in lxml.html.fromstring(html).forms:
        if form.method == "POST" and form.get("action") == action:
            return form
    raise ValueError("no form on the page")


def _refusal(text: str) -> str:
    errors = re.findall(r'<ul class="errorlist[^>]*>(.*?)</ul>', text, re.S)
    return " (form refused: " + re.sub(r"<[^>]+>|\s+", " ", " ".join(errors))[:300] + ")"


class PortalUser(FastHttpUser):
    abstract = True
    wait_time = between(0.5 * THINK, 1.5 * THINK)

    def on_start(self) -> None:
        self.wait()  # the users arrive spread over the first think time

    def call(self, page: str, method: str, path: str, data=None, expect=(200,)):
        """One request named ``page``; anything but ``expect`` is a failure that ends the iteration."""
        headers = {"X-Loadtest-Page": page}
        if data is not None:
            data = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        with self.client.request(
            method, path, name=page, data=data, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code in expect:
                response.success()
                return response
            shown = re.sub(r"/enroll/[^/]+", "/enroll/<token>", path)
            detail = f"{method} {shown} answered {response.status_code}"
            if response.status_code == 200 and method == "POST":
                detail += _refusal(response.text)
            response.failure(detail)
        raise RescheduleTask(detail)


class Employee(PortalUser):
    fixed_count = int(os.environ.get("LOADTEST_EMPLOYEES", "0"))

    def on_start(self) -> None:
        self.link = SEED["links"].pop().rstrip("/")
        self.signed = False
        super().on_start()

    def step(self, name: str, fill) -> None:
        page = self.call(f"employee {name} GET", "GET", f"{self.link}/{name}")
        self.wait()
        label = "employee review POST (sign)" if name == "review" else f"employee {name} POST"
        self.call(label, "POST", f"{self.link}/{name}", fill(form_of(page.text)), expect=(302,))
        self.wait()

    @task
    def walk(self) -> None:
        start = self.call("employee start", "GET", self.link + "/", expect=(200, 302))
        self.wait()
        if start.status_code == 200 and not self.signed:
            self.step("details", lambda form: form.form_values())
            self.step("family", lambda form: form.form_values())
            self.step("coverage", choose_plans)
            self.step("review", sign)
            self.signed = True
            SIGNED.append(time.time())
        self.call("employee done", "GET", f"{self.link}/done")


def choose_plans(form: lxml.html.FormElement) -> list[tuple[str, str]]:
    """The first plan (not the waiver) of every line."""
    options: dict[str, list[str]] = {}
    for radio in form.xpath(".//input[@type='radio']"):
        options.setdefault(radio.name, []).append(radio.get("value", "on"))
    chosen = {name: next((v for v in values if v != "WAIVE"), values[0]) for name, values in options.items()}
    return [(k, v) for k, v in form.form_values() if k not in chosen] + list(chosen.items())


def sign(form: lxml.html.FormElement) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in form.form_values() if k not in ("signed_name", "agree")]
    return kept + [("signed_name", "Load Test Employee"), ("agree", "on")]


class Broker(PortalUser):
    fixed_count = int(os.environ.get("LOADTEST_BROKERS", "0"))
    logged_in = False

    @task
    def browse(self) -> None:
        if not self.logged_in:
            page = self.call("broker login GET", "GET", "/accounts/login/")
            form = form_of(page.text, action="/accounts/login/")
            data = [(k, v) for k, v in form.form_values() if k not in ("username", "password")]
            data += [("username", "broker"), ("password", DEMO_PASSWORD)]
            self.call("broker login POST", "POST", LOGIN_HOST + "/accounts/login/", data, expect=(302,))
            self.logged_in = True
            self.wait()
        groups = SEED["group_ids"]
        self.call("book /", "GET", "/")
        self.wait()
        self.call("book /?page=N", "GET", f"/?page={random.randint(2, max(2, len(groups) // 25))}")
        self.wait()
        self.call("book /?q=", "GET", f"/?q=Load+Employer+{random.randint(1, 99)}")
        self.wait()
        self.call("group page", "GET", f"/groups/{random.choice(groups)}/")

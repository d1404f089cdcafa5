"""The employee wizard's state: what the employee answered on each step (the step's POST, else its draft,
else the family as stored), the forms bound to it, the family the signature would store, what the plans
cost that family, and the carrier's member rules on it, routed to whoever can act on them
(``self_service_rules``). The views (``self_service_views``) only show it.

What the rules judge is what is on the screen. A form refused on one field still gives every field it
accepted (a typed SSN, "PO Box 5"): the rules run on those, never on the stored value under a typed one,
and no rule problem is shown under a field the form itself refused (the form's error describes what was
typed there). A new family member whose form is refused is left out of the rules until it is accepted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.http import Http404

from catalogue.plan_names import PlanName, plan_names_for
from enrollment.rules import Problem

from . import self_service, services
from . import self_service_forms as ss_forms
from .models import Invitation, Member
from .self_service_forms import DETAILS_PREFIX, FAMILY_PREFIX
from .self_service_rules import split_for_employee
from .views import _rule_inputs as rule_inputs

logger = logging.getLogger(__name__)

PERSON_FIELDS = ("relationship", "date_of_birth", "tobacco_use")  # what prices a person


def no_problems() -> dict[str, Any]:
    """{"subscriber": [...], "dependents": {form index: [...]}, "general": [...], "broker": [...]}: the
    employee's problems by where they fix them, and the broker's (on no form of the employee's)."""
    return {"subscriber": [], "dependents": {}, "general": [], "broker": []}


def catalogue_plans(plan_ids: list[str]) -> dict[str, PlanName]:
    """{plan ID: its name and facts} of the plans the catalogue knows (one query)."""
    try:
        return plan_names_for(plan_ids)
    except Exception:  # no catalogue: the plan ID stands in
        logger.exception("plan names")
        return {}


class Answers:
    """The employee's answers on every step, and what follows from them."""

    def __init__(
        self,
        invitation: Invitation,
        *,
        post: dict | None = None,
        step: str | None = None,
        priced: bool | None = None,
    ):
        self.invitation = invitation
        self.subscriber: Member = invitation.subscriber
        self.group = self.subscriber.group
        self.dependents = self_service.family_dependents(self.subscriber)
        self.elections = {e.line: e for e in self.subscriber.elections.all()}
        self._post = post
        self._step = step
        self._read_details()
        self._read_family()
        self.people = self._people()
        self.plans = catalogue_plans([p for line in self.group.lines for p in self.plan_ids(line)])
        self.names = {plan_id: p.name for plan_id, p in self.plans.items() if p.name}
        # Prices are shown on the coverage, compare and review pages only; pricing every line is most of
        # a page's work, so the details and family steps (and a signature or a coverage POST that goes
        # through: ``priced=False``) skip it.
        self._read_coverage(priced=step in (None, "coverage", "compare") if priced is None else priced)

    # ---------------------------------------------------------------------------- reading the steps

    def _data_for(self, step: str) -> dict | None:
        if self._post is not None and self._step == step:
            return self._post
        return self_service.draft_get(self.invitation, step)

    def _read_details(self) -> None:
        form = ss_forms.DetailsForm(
            self._data_for("details"), instance=self.subscriber, prefix=DETAILS_PREFIX
        )
        valid = form.is_bound and form.is_valid()
        self.details_form = form
        self.subscriber_data: dict[str, Any] = form.member_data() if form.is_bound else {}
        self.details_valid = valid or not form.is_bound

    def _read_family(self) -> None:
        formset = ss_forms.FamilyFormSet(
            self._data_for("family"), dependents=self.dependents, prefix=FAMILY_PREFIX
        )
        try:
            formset.check_ids()
        except Http404:
            if self._post is not None and self._step == "family":
                raise  # a posted id that is not this family's
            # A stored draft naming a dependent the broker has since withdrawn: start from the family.
            formset = ss_forms.FamilyFormSet(None, dependents=self.dependents, prefix=FAMILY_PREFIX)
        self.formset = formset
        valid = formset.is_bound and formset.is_valid()
        self.family_valid = valid or not formset.is_bound
        self.dependents_data: list[dict] | None = None
        self._form_index: list[int] = []  # the form of each dependents_data entry
        if formset.is_bound:
            self.dependents_data = []
            for i, form in enumerate(formset):
                cleaned = getattr(form, "cleaned_data", None) or {}
                if not (form.has_changed() or cleaned.get("id")):
                    continue
                if form.errors and not cleaned.get("id"):
                    continue  # a new person the form refused: judged once accepted
                data = form.member_data()
                if data.get("id") or not data.get("DELETE"):
                    self.dependents_data.append(data)
                    self._form_index.append(i)

    def _stored(self, pk: Any) -> Member | None:
        for d in self.dependents:
            if pk and d.pk == int(pk):
                return d
        return None

    def _people(self) -> list[Mapping[str, Any]]:
        """Each family member as priced: what the screen says, else what is stored."""
        if self.dependents_data is None:
            return [{name: getattr(d, name) for name in PERSON_FIELDS} for d in self.dependents]
        people: list[Mapping[str, Any]] = []
        for d in self.dependents_data:
            if d.get("DELETE"):
                continue
            stored = self._stored(d.get("id"))
            people.append(
                {name: d[name] if name in d else getattr(stored, name, None) for name in PERSON_FIELDS}
            )
        return people

    def plan_ids(self, line: str) -> list[str]:
        return [str(p) for p in self.group.offering(line).get("planIds") or []]

    def _read_coverage(self, *, priced: bool) -> None:
        me = {
            "date_of_birth": self.subscriber_data.get("date_of_birth", self.subscriber.date_of_birth),
            "tobacco_use": self.subscriber_data.get("tobacco_use", self.subscriber.tobacco_use),
        }
        lines = list(self.group.lines)
        costs = (
            self_service.employee_costs_by_line(
                group=self.group, subscriber=me, dependents=self.people, lines=lines
            )
            if priced
            else {}
        )
        self.costs: dict[str, dict] = {line: costs.get(line, {}) for line in lines}
        data = self._data_for("coverage")
        self.coverage_forms = [
            ss_forms.CoverageForm(
                data,
                line=line,
                plan_ids=self.plan_ids(line),
                costs=self.costs[line],
                names=self.names,
                election=self.elections.get(line),
            )
            for line in lines
        ]
        bound = any(f.is_bound for f in self.coverage_forms)
        ok = bool(self.coverage_forms) and all(f.is_bound and f.is_valid() for f in self.coverage_forms)
        self.election_data = {f.line: f.election_data() for f in self.coverage_forms} if ok else {}
        self.coverage_answered = ok or (not bound and all(line in self.elections for line in lines))
        self.coverage_valid = ok or not bound

    # ---------------------------------------------------------------------------- the family as signed

    @property
    def elected_lines(self) -> list[str]:
        if self.election_data:
            return [
                line for line, e in self.election_data.items() if not e.get("waived") and e.get("plan_id")
            ]
        return [line for line, e in self.elections.items() if not e.waived and e.plan_id]

    def family_save_arguments(self) -> dict:
        """What ``family_save`` takes: every dependent kept is covered on every line the employee elects."""
        elected = self.elected_lines
        if self.dependents_data is not None:
            dependents = [dict(d) for d in self.dependents_data]
        else:
            dependents = [{"id": d.pk} for d in self.dependents]
        for d in dependents:
            if not d.get("DELETE"):
                d["covered_lines"] = list(elected)
        return {
            "subscriber_data": self.subscriber_data,
            "dependents_data": dependents,
            "elections": self.election_data,
        }

    # ---------------------------------------------------------------------------- the carrier's rules

    def problems(self) -> dict[str, Any]:
        """The carrier's member rules on the answers, worked out on the family as the signature would store
        it (in memory), each where the employee fixes it, in their words, or in ``broker``."""
        result = no_problems()
        payload, ctx = rule_inputs(self.group)  # (None, None) without the catalogue's facts
        if payload is None:
            return result
        try:
            found = services.family_draft_problems(
                group=self.group,
                subscriber=self.subscriber,
                dependents=self.dependents,
                stored_elections=list(self.elections.values()),
                group_payload=payload,
                ctx=ctx,
                **self.family_save_arguments(),
            )
        except Exception:
            logger.exception("self-service rules of invitation %s", self.invitation.pk)
            return result
        mine, brokers = split_for_employee(
            [p for p in found.subscriber if not self._refused_by_form(p)],
            fields=self.details_form.fields,
            coverage=True,
        )
        result["subscriber"] = mine
        result["broker"] += brokers
        index_of = self._form_index if self.dependents_data is not None else list(range(len(self.dependents)))
        for position, problems in enumerate(found.dependents):
            if problems is None or position >= len(index_of):
                continue
            index = index_of[position]
            refused = set(self.formset.forms[index].errors) if index < len(self.formset.forms) else set()
            mine, brokers = split_for_employee(
                [p for p in problems if p.field not in refused], fields=ss_forms.DEPENDENT_FIELDS
            )
            if mine:
                result["dependents"][index] = mine
            result["broker"] += brokers
        result["general"] = [
            Problem(code="", message=m, fix="", step="member", field=None) for m in found.general
        ]
        return result

    def _refused_by_form(self, p: Problem) -> bool:
        """Whether the employee's form itself refused the field the problem is about."""
        if p.step == "member":
            return self.details_form.is_bound and p.field in self.details_form.errors
        for form in self.coverage_forms:
            if p.step == f"election:{form.line}":
                return form.is_bound and p.field in form.errors
        return False


def drafted(invitation: Invitation, step: str) -> bool:
    """Whether the employee typed on this step before: only then does opening it check the rules again
    (the review step always checks everything before signing)."""
    return bool(invitation.draft) and step in invitation.draft

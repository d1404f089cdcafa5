"""The members app's answers to ``enrollment.roster``: what a group's lifecycle reads of its people and
what follows when the carrier accepts a change of the group's lines (registered in ``members.apps``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Subquery

from enrollment.models import EmployerGroup
from enrollment.roster import GroupProgress

from . import selectors
from .models import Election, Member
from .services import members_request_validation

V = Member.ValidationStatus


class MemberRoster:
    def validated_bodies(self, *, group: EmployerGroup) -> list[dict[str, Any]]:
        return selectors.group_validated_member_bodies(group=group)

    def progress(self, *, group: EmployerGroup) -> GroupProgress:
        return selectors.group_progress(group=group)

    def validated_elections(self, *, group: EmployerGroup) -> list[tuple[str, str, str]] | None:
        validated = Member.objects.filter(group=group, withdrawn_at__isnull=True).exclude(validation_id="")
        if not validated.exists():
            return None
        return list(
            Election.objects.filter(member__in=validated, waived=False)
            .exclude(plan_id="")
            .values_list("line", "plan_id", "member__member_ref")
            .order_by("line", "plan_id", "member__member_ref")
        )

    def validated_subscribers(self) -> Subquery:
        """A correlated subquery, so the book stays one query."""
        counted = (
            Member.objects.filter(
                group=OuterRef("pk"),
                relationship=Member.Relationship.SUBSCRIBER,
                validation_status=V.VALID,
                withdrawn_at__isnull=True,
            )
            .order_by()
            .values("group")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Subquery(counted, output_field=IntegerField())

    def lines_changed(self, *, group: EmployerGroup, removed: set[str], added: set[str]) -> None:
        """What the carrier did to the validations, done to the members: a removed line's elections and
        coverage go; a new line leaves every validated subscriber to choose it (validated again: MBR-015)."""
        if removed:
            Election.objects.filter(member__group=group, line__in=removed).delete()
            for dependent in Member.objects.filter(group=group, subscriber__isnull=False):
                lines = [line for line in dependent.covered_lines or [] if line not in removed]
                if lines != (dependent.covered_lines or []):
                    Member.objects.filter(pk=dependent.pk).update(covered_lines=lines)
        if added:
            validated = Member.objects.filter(
                group=group, subscriber__isnull=True, withdrawn_at__isnull=True
            ).exclude(validation_id="")
            ids = list(validated.values_list("pk", flat=True))
            if ids:
                members_request_validation(group=group, member_ids=ids)

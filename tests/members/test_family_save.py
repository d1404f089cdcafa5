from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from members import services
from members.models import Member

from .conftest import ANN, ANN_DEPENDENTS, ANN_ELECTIONS, LUIS_ELECTIONS

pytestmark = pytest.mark.django_db

V = Member.ValidationStatus


def edit_ann(ann, *, subscriber_data=None, dependents=None, elections=None):
    current = {d.member_ref: d.pk for d in ann.dependents.all()}
    return services.family_save(
        group=ann.group,
        subscriber=ann,
        subscriber_data=subscriber_data or ANN,
        dependents_data=dependents
        if dependents is not None
        else [dict(d, id=current[d["member_ref"]]) for d in ANN_DEPENDENTS],
        elections=elections or ANN_ELECTIONS,
        by=None,
    )


def test_it_creates_a_family_not_validated_and_queues_validation(
    group, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ann = services.family_save(
            group=group,
            subscriber_data=ANN,
            dependents_data=[dict(d) for d in ANN_DEPENDENTS],
            elections=ANN_ELECTIONS,
            by=None,
        )
    assert queued == [group.pk]
    assert ann.dependents.count() == 3
    assert {e.line for e in ann.elections.all()} == {"MEDICAL", "DENTAL", "VISION"}
    assert set(Member.objects.values_list("validation_status", flat=True)) == {V.NOT_VALIDATED}


def test_it_does_not_queue_before_the_carrier_has_the_group(
    group, queued, django_capture_on_commit_callbacks
):
    group.humana_group_id = None
    group.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.family_save(
            group=group, subscriber_data=ANN, dependents_data=[], elections=ANN_ELECTIONS, by=None
        )
    assert queued == []


def test_it_marks_only_the_edited_members_not_validated(ann, queued, django_capture_on_commit_callbacks):
    Member.objects.filter(group=ann.group).update(validation_status=V.VALID)
    versions = dict(Member.objects.values_list("member_ref", "edit_version"))
    deps = [dict(d, id=ann.dependents.get(member_ref=d["member_ref"]).pk) for d in ANN_DEPENDENTS]
    deps[1]["first_name"] = "Mayah"
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        edit_ann(ann, dependents=deps)
    statuses = dict(Member.objects.values_list("member_ref", "validation_status"))
    assert statuses == {
        "E-001": V.VALID,
        "E-001-S": V.VALID,
        "E-001-C1": V.NOT_VALIDATED,
        "E-001-C2": V.VALID,
    }
    assert Member.objects.get(member_ref="E-001-C1").edit_version == versions["E-001-C1"] + 1
    assert queued == [ann.group_id]


def test_it_revalidates_the_subscriber_when_a_dependent_changes_its_tier(ann, queued):
    Member.objects.filter(group=ann.group).update(validation_status=V.VALID)
    deps = [dict(d, id=ann.dependents.get(member_ref=d["member_ref"]).pk) for d in ANN_DEPENDENTS]
    deps[0]["DELETE"] = True  # the spouse leaves: Ann's tier becomes ECH
    edit_ann(ann, dependents=deps)
    assert Member.objects.get(member_ref="E-001").validation_status == V.NOT_VALIDATED
    assert not Member.objects.filter(member_ref="E-001-S", withdrawn_at__isnull=True).exists()


def test_it_drops_a_waived_line_from_the_dependents(ann, queued):
    elections = dict(ANN_ELECTIONS, VISION={"waived": True, "waiver_reason": "OTHER"})
    edit_ann(ann, elections=elections)
    lines = [d.covered_lines for d in Member.objects.filter(subscriber=ann)]
    assert lines == [["MEDICAL", "DENTAL"]] * 3


def test_it_names_new_dependents_after_the_subscriber(group, queued):
    deps = [{k: v for k, v in d.items() if k != "member_ref"} for d in ANN_DEPENDENTS]
    ann = services.family_save(
        group=group, subscriber_data=ANN, dependents_data=deps, elections=ANN_ELECTIONS, by=None
    )
    assert sorted(ann.dependents.values_list("member_ref", flat=True)) == ["E-001-C1", "E-001-C2", "E-001-S"]


def test_it_refuses_a_bad_member_ref(group, queued):
    with pytest.raises(ValidationError):
        services.family_save(
            group=group,
            subscriber_data=dict(ANN, member_ref="e 1"),
            dependents_data=[],
            elections={},
            by=None,
        )


def test_it_withdraws_a_member_the_carrier_knows(
    luis, queued, django_capture_on_commit_callbacks, monkeypatch
):
    withdrawn = []
    monkeypatch.setattr("members.tasks.withdraw_member.delay", lambda member_id: withdrawn.append(member_id))
    Member.objects.filter(pk=luis.pk).update(validation_id="val-1", validation_status=V.VALID)
    luis.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.member_withdraw(member=luis, by=None)
    luis.refresh_from_db()
    assert luis.withdrawn_at is not None
    assert withdrawn == [luis.pk]


def test_it_deletes_a_member_the_carrier_never_saw(luis):
    services.member_withdraw(member=luis, by=None)
    assert not Member.objects.filter(member_ref="E-002").exists()


def test_it_imports_the_census(group):
    assert services.census_import_members(group=group) == group.census.count()
    ann = Member.objects.get(group=group, member_ref="E-001")
    assert ann.is_subscriber and ann.is_owner
    assert ann.dependents.count() == 3
    assert services.census_import_members(group=group) == 0


def test_it_keeps_luis_elections(luis):
    assert {e.line: (e.waived, e.waiver_reason) for e in luis.elections.all()} == {
        line: (bool(v.get("waived")), v.get("waiver_reason", "")) for line, v in LUIS_ELECTIONS.items()
    }


def test_it_refuses_a_new_member_after_finalize(group, luis, queued):
    group.status = group.Status.FINALIZED
    group.save()
    with pytest.raises(ValidationError):
        services.family_save(
            group=group, subscriber_data=ANN, dependents_data=[], elections=ANN_ELECTIONS, by=None
        )
    with pytest.raises(ValidationError):
        services.family_save(
            group=group,
            subscriber=luis,
            subscriber_data={},
            dependents_data=[dict(ANN_DEPENDENTS[0], member_ref="E-002-S")],
            elections=LUIS_ELECTIONS,
            by=None,
        )
    assert list(Member.objects.values_list("member_ref", flat=True)) == ["E-002"]


def test_it_refuses_a_member_ref_already_in_the_group(ann, queued):
    with pytest.raises(ValidationError):
        services.family_save(
            group=ann.group,
            subscriber_data=dict(ANN, ssn="123456700"),
            dependents_data=[],
            elections={},
            by=None,
        )
    assert Member.objects.filter(member_ref="E-001").count() == 1

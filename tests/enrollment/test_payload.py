import pytest

from enrollment import services

pytestmark = pytest.mark.django_db


def test_it_builds_the_api_md_create_body_from_the_draft(complete_group):
    body = services.group_build_create_payload(group=complete_group)
    assert body["employer"]["fein"] == "123456789"
    assert body["employer"]["address"] == {
        "line1": "100 Main St",
        "line2": None,
        "city": "Louisville",
        "state": "KY",
        "zip5": "40202",
        "zip4": None,
        "countyFips": "21111",
    }
    assert body["writingAgent"]["npn"] == complete_group.broker.npn
    assert body["requestedEffectiveDate"] == "2027-01-01"
    assert body["offerings"][0]["ratingOption"] == "AGE"
    assert "ratingOption" not in body["offerings"][1]
    assert body["smallEmployerAttestation"]["signedAt"] == "2026-11-23T15:00:00Z"
    ann, luis = body["census"]
    assert ann["memberRef"] == "E-001" and ann["isOwner"] is True and ann["coverageTier"] == "FAM"
    assert [d["relationship"] for d in ann["dependents"]] == ["SPOUSE", "CHILD", "CHILD"]
    assert ann["dependents"][0] == {"relationship": "SPOUSE", "dateOfBirth": "1979-11-30", "tobaccoUse": True}
    assert luis["dependents"] == [] and luis["zip5"] == "40204"


def test_it_leaves_the_attestation_null_when_nobody_signed(broker):
    from tests.enrollment.conftest import make_complete_group

    group = make_complete_group(
        broker, attestation_signed_by="", attestation_title="", attestation_signed_at=None
    )
    assert services.group_build_create_payload(group=group)["smallEmployerAttestation"] is None


def test_it_keeps_dates_of_birth_encrypted_at_rest(complete_group):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT date_of_birth FROM enrollment_censusmember WHERE member_ref = 'E-001'")
        (raw,) = cursor.fetchone()
    assert "1980" not in str(raw)
    assert complete_group.census.get(member_ref="E-001").date_of_birth.year == 1980

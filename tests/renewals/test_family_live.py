"""The employee's renewal page takes a family member off at renewal, against the carrier sandbox over HTTP
(live server): per line, who of the family stays is ticked; the tier and the cost follow who stays (the
catalogue's 2028 rates, checked here from the rate file's own rows); the carrier validates each member
that changes with RENEWAL_OPEN_ENROLLMENT; the renewal 834 carries only what differs from the passive
renewal (edi-834-companion.md *Renewal files*: a spouse taken off dental is a CHANGE INS*001*41 with
HD*024 and DTP*349 = R − 1; a child taken off every line a TERMINATE INS*024*14 with DTP*357 = R − 1),
passes pyx12 and is accepted; on R the carrier's roster and the portal agree. A child whose coverage the
carrier ends before R (MNT-007) cannot be kept, the rule ID beside its box, in Spanish too; what the
employee ticked survives a refused submission."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from groupsales.demo_etss import KY_2028, rate_file_lines, write_etss_file
from groupsales.x12.validate import pyx12_issues
from members.models import Member
from renewals import elections, self_service, services
from renewals.models import Renewal, RenewalElection, RenewalFile, RenewalLink
from renewals.self_service import renewal_link_token

from .conftest import on
from .test_elections_live import PHONE, _carrier_roster, accepted_renewal, group  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
E = RenewalElection.State
R, EVE = "2028-01-01", "2027-12-31"
DENTAL = "12345KY0020001"
EVERYONE = ("E-001-S", "E-001-C1", "E-001-C2")


def boxes(lines_by_member: dict[str, tuple[str, ...]]) -> dict[str, str]:
    form = {"family_shown": "yes"}
    for ref, lines in lines_by_member.items():
        for line in lines:
            form[f"cover_{line}_{ref}"] = "yes"
    return form


ANN_PLANS = {"plan_MEDICAL": "12345KY0010001", "plan_DENTAL": DENTAL, "plan_VISION": "12345KY0030001"}


def segments_of(content: str, member_ref: str) -> list[str]:
    """The segments of ``member_ref``'s 2000 loop (from its INS to the next INS or the trailer)."""
    found: list[list[str]] = []
    for segment in content.replace("\n", "").split("~"):
        if segment.startswith("INS*"):
            found.append([segment])
        elif found and not segment.startswith(("SE*", "GE*", "IEA*")):
            found[-1].append(segment)
    return next(loop for loop in found if f"REF*ZZ*{member_ref}" in loop)


def member_refs(content: str) -> list[str]:
    """The REF*ZZ member references of a file's 2000 loops, in order."""
    return [s[7:] for s in content.replace("\n", "").split("~") if s.startswith("REF*ZZ*")]


def dental_rates_2028() -> dict[str, Decimal]:
    """The TRA rows of the dental plan in force on 2028-01-01, read from the rate file's own text."""
    rates = {}
    for line in rate_file_lines(KY_2028):
        f = line.split("|")
        if f[0] == "TRA" and f[1] == DENTAL and f[3] <= "20280101" <= f[4]:
            rates[f[5]] = Decimal(f[6])
    return rates


def employee_share(tier_rate: Decimal, ee_rate: Decimal, contribution: dict) -> Decimal:
    """A FLAT contribution on a tier-rated line: the employer pays up to ``employee`` of the employee-only
    rate and up to ``dependents`` of the rest (api.md *contribution*); the employee the remainder."""
    assert contribution["basis"] == "FLAT"
    employer = min(Decimal(contribution["employee"]), ee_rate) + min(
        Decimal(contribution["dependents"]), tier_rate - ee_rate
    )
    return tier_rate - employer


@pytest.fixture
def rates_2028(sandbox, tmp_path):
    """The 2028 plan year's rates (ETSS 2.2, its crosswalk) at the sandbox and in the portal's catalogue."""
    path = write_etss_file(tmp_path, KY_2028)
    call_command("sandbox_load_etss", str(path), stdout=StringIO())
    call_command("import_etss", str(path), stdout=StringIO())
    return path


def test_the_spouse_leaves_dental_and_the_tier_cost_and_834_follow(group, client, rates_2028):  # noqa: F811
    renewal = accepted_renewal(group)
    ann = Member.objects.get(group=group, member_ref="E-001")
    token = renewal_link_token(RenewalLink.objects.get(renewal=renewal, subscriber=ann))
    url = f"/enroll/renew/{token}/"
    on("2027-12-10")
    page = client.get(url, HTTP_USER_AGENT=PHONE).content.decode()
    assert "Who is covered with you from 2028-01-01" in page
    assert 'name="cover_DENTAL_E-001-S" value="yes" id="id_cover_DENTAL_E-001-S" checked' in page
    before = {row.line: row for row in self_service.renewal_page_lines(renewal=renewal, subscriber=ann)}
    assert (before["DENTAL"].tier_now, before["DENTAL"].tier) == ("FAM", "FAM")

    stay = {"E-001-S": ("MEDICAL", "VISION"), "E-001-C1": ("MEDICAL", "DENTAL", "VISION"),
            "E-001-C2": ("MEDICAL", "DENTAL", "VISION")}  # fmt: skip
    answer = client.post(url, ANN_PLANS | boxes(stay), HTTP_USER_AGENT=PHONE).content.decode()
    assert "your choice was checked with Humana" in answer, answer[-3000:]
    assert 'name="cover_DENTAL_E-001-S" value="yes" id="id_cover_DENTAL_E-001-S">' in answer  # unticked
    after = {row.line: row for row in self_service.renewal_page_lines(renewal=renewal, subscriber=ann)}
    assert (after["DENTAL"].tier, after["MEDICAL"].tier, after["VISION"].tier) == ("ECH", "FAM", "FAM")
    assert "Employee and children" in answer

    # the cost, from the rate file's rows and the renewal's dental contribution (FLAT 20.00 / 0.00)
    rates = dental_rates_2028()
    contribution = next(
        o["contribution"] for o in renewal.carrier_renewal["renewalOfferings"] if o["line"] == "DENTAL"
    )
    was, now = (employee_share(rates[t], rates["EE"], contribution) for t in ("EF", "EC"))
    assert (before["DENTAL"].renewal_cost, after["DENTAL"].renewal_cost) == (was, now)
    assert before["DENTAL"].cost_is_share and after["DENTAL"].cost_is_share
    assert was - now == rates["EF"] - rates["EC"] == Decimal("35.75")
    assert after["MEDICAL"].renewal_cost == before["MEDICAL"].renewal_cost  # medical: everyone stays

    theirs = {
        e.member.member_ref: (e.action, e.state) for e in RenewalElection.objects.filter(renewal=renewal)
    }
    assert theirs == {"E-001": ("CHANGE", E.VALIDATED), "E-001-S": ("CHANGE", E.VALIDATED)}
    david = RenewalElection.objects.get(renewal=renewal, member__member_ref="E-001-S")
    assert (david.change["coverageEnd"], david.change["maintenanceReasonCode"]) == (EVE, "41")

    file = elections.renewal_file_send(renewal_id=renewal.pk)
    assert (file.status, file.problems) == (RenewalFile.Status.SENT, [])
    assert pyx12_issues(file.content) == []
    assert segments_of(file.content, "E-001")[0] == "INS*Y*18*001*41*A***FT"
    assert "HD*001**DEN*12345KY0020001*ECH" in segments_of(file.content, "E-001")
    loop = segments_of(file.content, "E-001-S")
    assert loop[0] == "INS*N*01*001*41*A"
    hd = [s for s in loop if s.startswith(("HD*", "DTP*34"))]
    assert hd == ["HD*001**HLT*12345KY0010001*FAM", "DTP*348*D8*20280101",
                  "HD*001**VIS*12345KY0030001*FAM", "DTP*348*D8*20280101",
                  "HD*024**DEN*12345KY0020001*FAM", "DTP*349*D8*20271231"]  # fmt: skip
    assert member_refs(file.content) == ["E-001", "E-001-S"]  # nobody else differs from the passive renewal

    file = elections.renewal_file_poll(file_id=file.pk)
    assert file.status == RenewalFile.Status.ACCEPTED, (file.problems, file.results)
    assert set(RenewalElection.objects.values_list("state", flat=True)) == {E.APPLIED}

    on(R)
    services.renewal_sync(group_id=group.pk)
    roster = {m["memberRef"]: m for m in _carrier_roster(group, R)}
    assert {c["line"] for c in roster["E-001-S"]["coverage"]} == {"MEDICAL", "VISION"}
    assert {c["line"]: c["coverageTier"] for c in roster["E-001"]["coverage"]}["DENTAL"] == "ECH"
    assert {c["line"] for c in roster["E-001-C1"]["coverage"]} == {"MEDICAL", "DENTAL", "VISION"}
    assert Member.objects.get(group=group, member_ref="E-001-S").covered_lines == ["MEDICAL", "VISION"]


def test_a_child_leaves_every_line_and_one_aging_out_cannot_stay(group, client):  # noqa: F811
    ann = Member.objects.get(group=group, member_ref="E-001")
    Member.objects.create(  # 26 on 2027-11-20: the carrier ends the coverage on 2027-11-30 (MNT-007)
        group=group, subscriber=ann, member_ref="E-001-C3", relationship="CHILD", first_name="Leo",
        last_name="Lee", ssn="123456786", date_of_birth=date(2001, 11, 20), gender="MALE",
        covered_lines=["MEDICAL", "DENTAL", "VISION"], enrollment_status=Member.EnrollmentStatus.ACCEPTED,
    )  # fmt: skip
    renewal = accepted_renewal(group)
    token = renewal_link_token(RenewalLink.objects.get(renewal=renewal, subscriber=ann))
    url = f"/enroll/renew/{token}/"
    on("2027-12-10")
    spanish = {"HTTP_ACCEPT_LANGUAGE": "es", "HTTP_USER_AGENT": PHONE}
    page = client.get(url, **spanish).content.decode()
    leo = 'name="cover_MEDICAL_E-001-C3" value="yes" id="id_cover_MEDICAL_E-001-C3" disabled'
    assert leo in page and "MNT-007" in page
    assert "Leo Lee cumple 26 años antes de la fecha de renovación" in page

    # a stale page sends Leo ticked (and medical on the other plan): refused before the carrier, nothing lost
    stay = {"E-001-S": ("MEDICAL", "DENTAL", "VISION"), "E-001-C1": ("MEDICAL", "DENTAL", "VISION"),
            "E-001-C3": ("MEDICAL",)}  # fmt: skip
    chosen = ANN_PLANS | {
        "plan_MEDICAL": "12345KY0010002",
        "plan_VISION": "WAIVE",
        "reason_VISION": "SPOUSE_GROUP_COVERAGE",
    }
    refused = client.post(url, chosen | boxes(stay), **spanish).content.decode()
    assert "Todavía no se guardó nada" in refused, refused[-3000:]
    note = refused[refused.index('id="field-cover_MEDICAL_E-001-C3"') :][:900]
    assert "MNT-007" in note and "Humana termina la cobertura el 2027-11-30" in note and "errorlist" in note
    assert not RenewalElection.objects.filter(renewal=renewal).exists()
    assert 'value="12345KY0010002" checked' in refused and 'value="SPOUSE_GROUP_COVERAGE" selected' in refused
    for line in ("MEDICAL", "DENTAL", "VISION"):  # Noah stays unticked, David and Maya ticked
        assert f'id="id_cover_{line}_E-001-C2">' in refused
        assert f'id="id_cover_{line}_E-001-S" checked' in refused

    # Noah off every line: Humana refuses (MBR-002: he is 1 on R and has no SSN); what was ticked stays
    stay.pop("E-001-C3")
    refused = client.post(url, ANN_PLANS | boxes(stay), **spanish).content.decode()
    alert = refused[refused.index('role="alert"') :][:600]
    assert "Humana no pudo aceptar esta elección" in alert and "Noah Lee: " in alert and "MBR-002" in alert
    for line in ("MEDICAL", "DENTAL", "VISION"):
        assert (
            f'id="id_cover_{line}_E-001-C2">' in refused
            and f'id="id_cover_{line}_E-001-C1" checked' in refused
        )
    noah = RenewalElection.objects.get(renewal=renewal, member__member_ref="E-001-C2")
    assert (noah.action, noah.state) == ("TERMINATE", E.REFUSED)

    # Maya off every line instead, everything else as it renews: only Maya's TERMINATE is sent
    stay = {"E-001-S": ("MEDICAL", "DENTAL", "VISION"), "E-001-C2": ("MEDICAL", "DENTAL", "VISION")}
    saved = client.post(url, ANN_PLANS | boxes(stay), **spanish).content.decode()
    assert "su elección fue verificada con Humana" in saved, saved[saved.index("<h1") :][:1200]
    theirs = {
        e.member.member_ref: (e.action, e.state) for e in RenewalElection.objects.filter(renewal=renewal)
    }
    assert theirs == {"E-001-C1": ("TERMINATE", E.VALIDATED)}  # Ann's tiers stay FAM: her loop is not sent
    maya = RenewalElection.objects.get(renewal=renewal, member__member_ref="E-001-C1")
    assert maya.body["event"] == {"type": "RENEWAL_OPEN_ENROLLMENT", "action": "TERMINATE", "date": R}
    assert (maya.change["coverageEnd"], maya.change["maintenanceReasonCode"]) == (EVE, "14")

    file = elections.renewal_file_send(renewal_id=renewal.pk)
    assert (file.status, file.problems) == (RenewalFile.Status.SENT, []) and pyx12_issues(file.content) == []
    loop = segments_of(file.content, "E-001-C1")
    assert loop[0] == "INS*N*19*024*14*A" and "DTP*357*D8*20271231" in loop
    assert not [s for s in loop if s.startswith("HD*")]
    assert member_refs(file.content) == ["E-001-C1"]  # nobody else differs from the passive renewal
    file = elections.renewal_file_poll(file_id=file.pk)
    assert file.status == RenewalFile.Status.ACCEPTED, (file.problems, file.results)

    on(R)
    services.renewal_sync(group_id=group.pk)
    active = {m["memberRef"] for m in _carrier_roster(group, R) if m["status"] == "ACTIVE"}
    assert "E-001-C1" not in active and {"E-001", "E-001-S", "E-001-C2"} <= active
    assert "E-001-C1" in {m["memberRef"] for m in _carrier_roster(group, EVE) if m["status"] == "ACTIVE"}
    assert Member.objects.get(group=group, member_ref="E-001-C1").covered_lines == []
    assert Renewal.objects.get(pk=renewal.pk).status == Renewal.Status.RENEWED


def test_a_child_aging_out_in_the_last_month_leaves_the_tier_without_a_loop_of_its_own(group):  # noqa: F811
    """Noah turns 26 on 2027-12-15: the carrier ends him on 2027-12-31 itself (MNT-007), so when Maya is
    taken off every line Ann's tiers from R are ESP; the file, processed before Noah's end, is accepted."""
    from sandbox.models import Group as CarrierGroup
    from sandbox.roster_models import RosterEntry

    carrier = CarrierGroup.objects.get(group_id=group.humana_group_id)
    rows = [*RosterEntry.objects.filter(group=carrier, member_ref="E-001-C2"),
            *carrier.validations.filter(member_ref="E-001-C2")]  # fmt: skip
    assert len(rows) == 2
    for row in rows:
        row.body = {**row.body, "dateOfBirth": "2001-12-15"}
        row.save()
    Member.objects.filter(group=group, member_ref="E-001-C2").update(date_of_birth=date(2001, 12, 15))
    renewal = accepted_renewal(group)
    on("2027-12-10")
    ann = Member.objects.get(group=group, member_ref="E-001")
    family = {f.member_ref: f.ends_on for f in elections.renewal_family(renewal=renewal, subscriber=ann)}
    assert family == {"E-001-S": None, "E-001-C1": None, "E-001-C2": date(2027, 12, 31)}
    everything = ("MEDICAL", "DENTAL", "VISION")
    chosen = elections.renewal_election_record(
        renewal=renewal, subscriber=ann, plans={}, family={"E-001-S": everything, "E-001-C1": ()}
    )
    assert chosen is not None and chosen.state == E.VALIDATED, chosen.carrier_errors
    assert {c["coverageTier"] for c in chosen.body["coverage"]} == {"ESP"}
    theirs = {e.member.member_ref: e.action for e in RenewalElection.objects.filter(renewal=renewal)}
    assert theirs == {"E-001": "CHANGE", "E-001-C1": "TERMINATE"}  # nothing sent for Noah

    file = elections.renewal_file_send(renewal_id=renewal.pk)
    assert (file.problems, pyx12_issues(file.content)) == ([], [])
    assert member_refs(file.content) == ["E-001", "E-001-C1"]
    file = elections.renewal_file_poll(file_id=file.pk)
    assert file.status == RenewalFile.Status.ACCEPTED, (file.problems, file.results)
    on(R)
    services.renewal_sync(group_id=group.pk)
    roster = {m["memberRef"]: m for m in _carrier_roster(group, R) if m["status"] == "ACTIVE"}
    assert set(roster) >= {"E-001", "E-001-S"} and not {"E-001-C1", "E-001-C2"} & set(roster)
    assert {c["coverageTier"] for c in roster["E-001"]["coverage"]} == {"ESP"}

"""The 834 writer against the carrier's sample and hostile data (writer.py)."""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from groupsales.codes import Line, Relationship, Tier
from groupsales.x12.examples import blue_heron_envelope, blue_heron_families, blue_heron_header
from groupsales.x12.model import Address, Counts, Coverage, Employment, Family, Member
from groupsales.x12.parser import iter_segments, parse_834
from groupsales.x12.sanitize import clean_text, names_match, sent_length, unsendable_characters
from groupsales.x12.validate import precheck, pyx12_issues
from groupsales.x12.writer import CountMismatchError, render_834, write_834

DELIMITERS = set("*:^~")


def render(families=None, **header_changes) -> str:
    return render_834(
        blue_heron_envelope(), blue_heron_header(**header_changes), families or blue_heron_families()
    )


def assert_clean_x12(text: str) -> None:
    """No element carries a delimiter, every segment ID is real, and pyx12 finds nothing."""
    for seg in iter_segments(text):
        if seg.id == "ISA":
            continue
        for value in seg.elements:
            assert not DELIMITERS & set(value), (seg, value)
            assert value.isascii() and value == value.upper()
    assert pyx12_issues(text) == []


def subscriber(ref: str, first: str, last: str, **changes) -> Member:
    values = dict(
        member_ref=ref,
        subscriber_ref=ref,
        relationship=Relationship.SUBSCRIBER,
        first_name=first,
        last_name=last,
        ssn="234567890",
        date_of_birth=date(1985, 3, 4),
        gender="MALE",
        marital_status="MARRIED",
        tobacco_use=False,
        address=Address(line1="1 Elm St", city="Louisville", state="KY", zip5="40202", county_fips="21111"),
        phone="5025550199",
        email="someone@example.com",
        employment=Employment(hire_date=date(2020, 1, 6)),
        coverage=(Coverage(line=Line.MEDICAL, plan_id="12345KY0010001", tier=Tier.ESP),),
    )
    values.update(changes)
    return Member(**values)


def spouse_of(sub: Member, ref: str, first: str, last: str, **changes) -> Member:
    values = dict(
        member_ref=ref,
        subscriber_ref=sub.member_ref,
        relationship=Relationship.SPOUSE,
        first_name=first,
        last_name=last,
        ssn="234567891",
        date_of_birth=date(1986, 7, 8),
        gender="FEMALE",
        tobacco_use=True,
        coverage=sub.coverage,
    )
    values.update(changes)
    return Member(**values)


def test_it_reproduces_the_carriers_sample_byte_for_byte(carrier_samples):
    assert render().encode("ascii") == (carrier_samples / "new-business.834").read_bytes()


def test_it_reports_counts_and_a_digest_of_what_it_wrote():
    out = io.StringIO()
    result = write_834(
        out, blue_heron_envelope(), blue_heron_header(), blue_heron_families(), counts=Counts(2, 3)
    )
    assert (result.segment_count, result.members, result.subscribers, result.dependents) == (82, 5, 2, 3)
    import hashlib

    assert result.digest == hashlib.sha256(out.getvalue().encode()).hexdigest()


def test_it_writes_the_sample_data_so_that_pyx12_finds_nothing():
    assert_clean_x12(render())


def test_it_orders_each_family_itself():
    refs = [m.member_ref for m in parse_834(render()).members]
    assert refs == ["E-001", "E-001-S", "E-001-C1", "E-001-C2", "E-002"]


def test_it_raises_before_the_trailers_when_counts_disagree():
    out = io.StringIO()
    with pytest.raises(CountMismatchError):
        write_834(out, blue_heron_envelope(), blue_heron_header(), blue_heron_families(), counts=Counts(2, 4))
    assert "SE*" not in out.getvalue() and "IEA*" not in out.getvalue()


def test_it_writes_a_resubmission_header_with_the_rejected_reference_in_bgn06():
    text = render(purpose="15", reference="BHB-104233-2", original_reference="BHB-104233-1")
    assert "BGN*15*BHB-104233-2*20261123*1030**BHB-104233-1**2~" in text
    assert_clean_x12(text)


def test_it_refuses_a_resubmission_without_the_original_reference():
    with pytest.raises(ValueError):
        render(purpose="15", reference="BHB-104233-2")


def test_it_writes_without_newlines_when_asked():
    text = render_834(
        blue_heron_envelope(), blue_heron_header(), blue_heron_families(), newline_after_segment=False
    )
    assert "\n" not in text and text == render().replace("~\n", "~")


@pytest.mark.parametrize(
    ("first", "last", "expected_nm1"),
    [
        ("Sean", "O'Brien", "NM1*IL*1*O'BRIEN*SEAN****34*234567890"),
        ("José", "Núñez", "NM1*IL*1*NUNEZ*JOSE****34*234567890"),
    ],
)
def test_it_writes_names_with_apostrophes_and_accents(first, last, expected_nm1):
    sub = subscriber("E-010", first, last)
    text = render([Family(subscriber=sub, dependents=(spouse_of(sub, "E-010-S", "Ana", last),))])
    assert expected_nm1 + "~" in text
    assert_clean_x12(text)


HOSTILE = [
    dict(first_name="Smith*Jones", last_name="A~B", middle_name="x:y^z"),
    dict(first_name="Ann 😀", last_name="Lee 🎂", middle_name=""),
    dict(first_name="A" * 35, last_name="B" * 60, middle_name="C" * 25, suffix="JR*"),  # the maxima, whole
    dict(first_name="Zoë", last_name="Ærøskøbing-Łódź", middle_name=None),
]


@pytest.mark.parametrize("names", HOSTILE)
def test_it_never_lets_hostile_values_break_the_file(names):
    sub = subscriber(
        "E-020",
        names["first_name"],
        names["last_name"],
        middle_name=names.get("middle_name"),
        suffix=names.get("suffix"),
        address=Address(
            line1="1*2 Main~St:^ #4",
            line2="Apt 😀 ~5",
            city="Louis~ville*",
            state="KY",
            zip5="40202",
            zip4="1234",
            county_fips="21111",
        ),
        email="a*b~c@example.com",
        phone="(502) 555-0199",
    )
    dep = spouse_of(
        sub, "E-020-S", names["first_name"], names["last_name"], middle_name=names.get("middle_name")
    )
    text = render([Family(subscriber=sub, dependents=(dep,))])
    assert_clean_x12(text)
    member = parse_834(text).members[0]
    assert len(member.last_name) <= 60 and len(member.first_name) <= 35 and len(member.middle_name) <= 25
    assert member.postal_code == "402021234"


def test_it_refuses_a_last_name_that_cleans_to_nothing():
    sub = subscriber("E-030", "Ann", "😀😀")
    with pytest.raises(ValueError, match="E-030"):
        render([Family(subscriber=sub)])


def test_it_refuses_a_city_shorter_than_x12_allows():
    short = Address(line1="1 Elm St", city="Ö*", state="KY", zip5="40202", county_fips="21111")
    with pytest.raises(ValueError, match="city"):
        render([Family(subscriber=subscriber("E-033", "Ann", "Lee", address=short))])


def test_it_refuses_identifiers_it_would_have_to_rewrite():
    with pytest.raises(ValueError):
        render([Family(subscriber=subscriber("E*031", "Ann", "Lee"))])
    with pytest.raises(ValueError):
        render([Family(subscriber=subscriber("E-032", "Ann", "Lee", ssn="12345678~"))])


def test_it_flags_a_disabled_child_over_the_age_limit_in_ins10():
    sub = subscriber(
        "E-040",
        "Ann",
        "Lee",
        coverage=(Coverage(line=Line.MEDICAL, plan_id="12345KY0010001", tier=Tier.ECH),),
    )
    child = Member(
        member_ref="E-040-C1", subscriber_ref="E-040", relationship=Relationship.CHILD, first_name="Kim",
        last_name="Lee", ssn="234567892", date_of_birth=date(1995, 1, 1), gender="FEMALE", tobacco_use=False,
        disabled=True, coverage=sub.coverage,
    )  # fmt: skip
    young = replace(child, member_ref="E-040-C2", date_of_birth=date(2012, 1, 1), ssn="234567893")
    text = render([Family(subscriber=sub, dependents=(young, child))])
    assert "INS*N*19*021*28*A*****Y~" in text
    assert text.count("INS*N*19*021*28*A~") == 1  # the young disabled child has no flag
    assert_clean_x12(text)


def test_it_writes_a_dependents_own_address_and_a_zip_plus_4():
    sub = subscriber("E-050", "Ann", "Lee")
    away = Address(line1="5 College Rd", city="Lexington", state="KY", zip5="40506", zip4="0001",
                   county_fips="21067")  # fmt: skip
    text = render(
        [Family(subscriber=sub, dependents=(spouse_of(sub, "E-050-S", "Bo", "Lee", address=away),))]
    )
    assert "N4*LEXINGTON*KY*405060001**CY*21067~" in text
    assert_clean_x12(text)


# Any character but letters and digits of other scripts (the portal refuses those where they are typed,
# PTL-001/PTL-003, and the writer raises on them: tests above).
_carried = st.characters(codec="utf-8", exclude_categories=("Cs",)).filter(
    lambda c: not unsendable_characters(c)
)


def names(limit: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=_carried, max_size=limit).filter(lambda v: sent_length(v) <= limit)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(
    first=names(35),
    last=names(60),
    middle=st.none() | names(25),
    line1=names(55),
    city=names(30),
    email=st.none() | st.emails() | names(60),
    ref_number=st.integers(min_value=1, max_value=999_999),
)
def test_it_round_trips_refs_for_any_names_and_passes_pyx12(
    first, last, middle, line1, city, email, ref_number
):
    assume(clean_text(last) and clean_text(line1) and len(clean_text(city, 30)) >= 2)
    ref = f"E-{ref_number}"
    sub = subscriber(
        ref, first, last, middle_name=middle, email=email,
        address=Address(line1=line1, city=city, state="KY", zip5="40202", county_fips="21111"),
    )  # fmt: skip
    dep = spouse_of(sub, f"{ref}-S", first, last, middle_name=middle)
    text = render([Family(subscriber=sub, dependents=(dep,))])
    parsed = parse_834(text)
    assert [(m.member_ref, m.subscriber_ref, m.relationship_code) for m in parsed.members] == [
        (ref, ref, "18"),
        (f"{ref}-S", ref, "01"),
    ]
    assert parsed.members[0].last_name == clean_text(last, 60)
    assert_clean_x12(text)


def test_it_never_imports_django():
    # The carrier sandbox and the portal share this package; run in a clean interpreter.
    code = (
        "import sys, groupsales.x12, groupsales.x12.validate, groupsales.x12.ack999, groupsales.demo_etss;"
        "sys.exit(1 if any(m == 'django' or m.startswith('django.') for m in sys.modules) else 0)"
    )
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0


# ---- issue 17, items 7 to 10: what the portal writes

PRECHECK = dict(sender_id="PARTNER01", group_id="104233", fein="123456789", usage_indicator="T")


def child_of(sub: Member, ref: str, first: str, born: date, **changes) -> Member:
    values = dict(
        member_ref=ref, subscriber_ref=sub.member_ref, relationship=Relationship.CHILD, first_name=first,
        last_name=sub.last_name, date_of_birth=born, gender="FEMALE", tobacco_use=False,
        coverage=sub.coverage,
    )  # fmt: skip
    values.update(changes)
    return Member(**values)


def family_of_twins(order=(0, 1, 2, 3)) -> Family:
    sub = subscriber(
        "E-060",
        "Ann",
        "Lee",
        coverage=(Coverage(line=Line.MEDICAL, plan_id="12345KY0010001", tier=Tier.FAM),),
    )
    deps = [
        spouse_of(sub, "E-060-S", "Bo", "Lee", date_of_birth=date(2015, 9, 9)),  # a spouse is no twin
        child_of(sub, "E-060-C1", "Ivy", date(2012, 3, 1)),
        child_of(sub, "E-060-C3", "Ben", date(2015, 9, 9), gender="MALE"),
        child_of(sub, "E-060-C2", "Ava", date(2015, 9, 9)),
    ]
    return Family(subscriber=sub, dependents=tuple(deps[i] for i in order))


def ins_by_ref(text: str) -> dict[str, object]:
    return {m.member_ref: m.segments[0] for m in parse_834(text).members}


def test_it_writes_the_birth_sequence_of_twins_in_ins17():
    text = render([family_of_twins()])
    ins = ins_by_ref(text)
    # TR3: INS17 only for dependents sharing a birth date; numbered in memberRef order.
    assert ins["E-060-C2"].element(17) == "1"
    assert ins["E-060-C3"].element(17) == "2"
    assert "INS*N*19*021*28*A************1~" in text
    for ref in ("E-060", "E-060-S", "E-060-C1"):
        assert ins[ref].element(17) == "", ref
    assert [m.member_ref for m in parse_834(text).members] == ["E-060", "E-060-S", "E-060-C1", "E-060-C2",
                                                               "E-060-C3"]  # fmt: skip
    assert_clean_x12(text)
    assert precheck(text, **PRECHECK, effective_date=blue_heron_header().effective_date) == []


def test_it_numbers_twins_the_same_whatever_order_the_family_comes_in():
    texts = {render([family_of_twins(order)]) for order in ((0, 1, 2, 3), (3, 2, 1, 0), (2, 0, 3, 1))}
    assert len(texts) == 1


def test_it_numbers_triplets_and_keeps_ins10_beside_ins17():
    sub = subscriber(
        "E-061",
        "Ann",
        "Lee",
        coverage=(Coverage(line=Line.MEDICAL, plan_id="12345KY0010001", tier=Tier.ECH),),
    )
    born = date(1998, 1, 1)  # over the age limit: the disabled one carries INS10 too
    kids = tuple(
        child_of(sub, f"E-061-C{n}", name, born, disabled=True, ssn=f"23456780{n}")
        for n, name in ((3, "Cy"), (1, "Al"), (2, "Bea"))
    )
    text = render([Family(subscriber=sub, dependents=kids)])
    ins = ins_by_ref(text)
    assert [ins[f"E-061-C{n}"].element(17) for n in (1, 2, 3)] == ["1", "2", "3"]
    assert all(ins[f"E-061-C{n}"].element(10) == "Y" for n in (1, 2, 3))
    assert_clean_x12(text)


@pytest.mark.parametrize(
    ("first", "last", "middle"),
    [("Σοφία", "Wang", None), ("張偉 Ωmega", "Chen", None), ("Ann", "Σοφία", None), ("Ann", "Lee", "Ωmega")],
)
def test_it_refuses_a_name_the_834_cannot_carry_instead_of_emptying_it(first, last, middle):
    sub = subscriber("E-070", first, last, middle_name=middle)
    with pytest.raises(ValueError, match="E-070: .*PTL-001"):
        render([Family(subscriber=sub)])


@pytest.mark.parametrize(
    ("first", "last", "nm1"),
    [
        ("Zoë", "Ærøskøbing-Łódź", "NM1*IL*1*AEROSKOBING-LODZ*ZOE****34*234567890"),
        ("Grete", "Straße", "NM1*IL*1*STRASSE*GRETE****34*234567890"),
        ("Seán", "O\u2019Brien", "NM1*IL*1*O'BRIEN*SEAN****34*234567890"),
    ],
)
def test_it_round_trips_the_latin_names_the_portal_accepts(first, last, nm1):
    sub = subscriber("E-071", first, last)
    text = render([Family(subscriber=sub)])
    assert nm1 + "~" in text
    parsed = parse_834(text).members[0]
    # What the sandbox compares for FIL-010 agrees with the validated values.
    assert names_match(parsed.last_name, last, "NM103") and names_match(parsed.first_name, first, "NM104")
    assert_clean_x12(text)
    assert precheck(text, **PRECHECK, effective_date=blue_heron_header().effective_date) == []


def test_it_writes_the_ten_nanp_digits_of_a_phone_without_the_extension():
    text = render([Family(subscriber=subscriber("E-072", "Ann", "Lee", phone="+1 502 555 0100 x9"))])
    assert "PER*IP**HP*5025550100*EM*SOMEONE@EXAMPLE.COM~" in text
    assert_clean_x12(text)


def test_it_refuses_a_phone_that_is_no_nanp_number():
    with pytest.raises(ValueError, match="E-073: .*PTL-002"):
        render([Family(subscriber=subscriber("E-073", "Ann", "Lee", phone="+44 20 7946 0958"))])


def _address(**changes) -> Address:
    values = dict(line1="1 Elm St", city="Louisville", state="KY", zip5="40202", county_fips="21111")
    values.update(changes)
    return Address(**values)


@pytest.mark.parametrize(
    "address",
    [
        _address(line1="1" + " Long Street Name" * 4),  # 69 characters
        _address(line2="Apartment " + "9" * 50),
        _address(city="Llanfairpwllgwyngyllgogerychwyrn"),  # 32 characters
        _address(city="Straßeßeßeßeßeßeßeßeßeßeßeßeß"),  # 29 typed, 43 sent
    ],
)
def test_it_refuses_an_address_longer_than_n3_n4_carry_instead_of_cutting_it(address):
    with pytest.raises(ValueError, match="E-074: .*PTL-003"):
        render([Family(subscriber=subscriber("E-074", "Ann", "Lee", address=address))])


def test_it_writes_an_address_of_exactly_the_maximum_lengths_whole():
    line1, city = "1" + " Elm" * 13 + " R", "C" * 30  # 55 and 30 characters
    assert (len(line1), len(city)) == (55, 30)
    text = render(
        [Family(subscriber=subscriber("E-075", "Ann", "Lee", address=_address(line1=line1, city=city)))]
    )
    member = parse_834(text).members[0]
    assert (member.address_line1, member.city) == (line1.upper(), city)
    assert_clean_x12(text)


def test_it_refuses_an_address_in_another_script():
    with pytest.raises(ValueError, match="E-076: .*PTL-003"):
        render([Family(subscriber=subscriber("E-076", "Ann", "Lee", address=_address(city="Москва")))])


def test_it_refuses_a_name_longer_than_nm1_carries_after_clean_up():
    with pytest.raises(ValueError, match="E-077: .*PTL-001"):
        render([Family(subscriber=subscriber("E-077", "A" * 34 + "ß", "Lee"))])  # 35 typed, 36 sent


def test_it_refuses_an_employer_or_agent_name_it_would_have_to_cut():
    with pytest.raises(ValueError, match="N102"):
        render(employer_legal_name="B" * 61)
    with pytest.raises(ValueError, match="N102"):
        render(agent_name="Σ" * 5 + " Ortiz")

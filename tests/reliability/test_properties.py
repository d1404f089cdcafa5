"""Property tests (issue 8, "Bad input"): the 834 writer, the quote engine and the census importer.

Each property says what must hold for *any* input Hypothesis makes up, including hostile text:
delimiters (``* ~ : ^ |``), accents, emoji, very long strings and empty optional values.
``tests/groupsales/test_rules_properties.py`` covers the business rules; it is not repeated here.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from groupsales.codes import Line, Relationship, Tier
from groupsales.x12.examples import blue_heron_envelope, blue_heron_header
from groupsales.x12.model import Address, Counts, Coverage, Employment, Family, Member
from groupsales.x12.parser import iter_segments, parse_834
from groupsales.x12.sanitize import (
    MAX_LENGTHS,
    clean_email,
    clean_text,
    nanp_phone,
    sent_length,
    unsendable_characters,
)
from groupsales.x12.validate import pyx12_issues
from groupsales.x12.writer import write_834

DELIMITERS = set("*:^~")
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
FAST = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))

# --------------------------------------------------------------------------------------------------
# 834 writer

HOSTILE = "*~:^|\r\n\t"
hostile_text = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
    st.text(alphabet=st.sampled_from(HOSTILE + "AbÉéñ ØßЖ中😀'-,.#/&"), max_size=40),
    st.text(alphabet=st.sampled_from("ABCxyz *~:^| 😀é"), min_size=200, max_size=600),  # very long
    st.sampled_from(["", " ", "😀", "***", "~~", "O'Brien-Núñez", "Zoë Ærø", "ß"]),
)
# A name that survives clean-up wrapped in hostile text; a name that cleans to nothing now and then.
_core = st.text(alphabet=st.sampled_from("AbcxyzÉéñØßŁ"), min_size=2, max_size=30)
_wrapped = st.builds(lambda a, core, b: a + core + b, hostile_text, _core, hostile_text)
name_text = st.integers(0, 39).flatmap(lambda k: hostile_text if k == 0 else _wrapped)
optional_text = st.none() | hostile_text


def _fit(value: str | None, limit: int) -> str | None:
    """``value`` without what the writer refuses: other scripts' letters, more than ``limit`` once cleaned."""
    if value is None:
        return None
    value = "".join(c for c in value if not unsendable_characters(c))
    while sent_length(value) > limit:
        value = value[: len(value) // 2 if len(value) > 2 * limit else -1]
    return value


def carried(strategy: st.SearchStrategy, limit: int) -> st.SearchStrategy:
    """Mostly hostile text the writer can carry whole; now and then anything (the writer refuses it)."""
    return st.integers(0, 59).flatmap(
        lambda k: strategy if k == 0 else strategy.map(lambda v: _fit(v, limit))
    )


@st.composite
def people(draw, ref: str, relationship: Relationship, subscriber: Member | None = None) -> Member:
    is_sub = subscriber is None
    effective = blue_heron_header().effective_date
    if is_sub:
        born = draw(st.dates(date(1940, 1, 1), date(2005, 1, 1)))
    elif relationship in (Relationship.SPOUSE, Relationship.DOMESTIC_PARTNER):
        born = draw(st.dates(date(1940, 1, 1), date(2005, 1, 1)))
    else:
        born = draw(st.dates(effective - timedelta(days=25 * 365), effective - timedelta(days=1)))
    address = None
    if is_sub or draw(st.booleans()):
        address = Address(
            line1=draw(carried(name_text, 55)),
            line2=draw(carried(optional_text, 55)),
            city=draw(carried(name_text, 30)),
            state="KY",
            zip5="40202",
            zip4=draw(st.none() | st.sampled_from(["1234", "0001"])),
            county_fips=draw(st.none() | st.just("21111")),
        )
    coverage = (
        subscriber.coverage
        if subscriber is not None
        else (Coverage(line=Line.MEDICAL, plan_id="12345KY0010001", tier=Tier.FAM),)
        + draw(st.sampled_from([(), (Coverage(line=Line.DENTAL, plan_id="12345KY0020001", tier=Tier.FAM),)]))
    )
    return Member(
        member_ref=ref,
        subscriber_ref=subscriber.member_ref if subscriber else ref,
        relationship=relationship,
        first_name=draw(carried(hostile_text, 35)),
        middle_name=draw(carried(optional_text, 25)),
        last_name=draw(carried(name_text, 60)),
        suffix=draw(carried(optional_text, 10)),
        ssn=draw(st.none() | st.from_regex(r"\A[1-8][0-9]{8}\Z")),
        date_of_birth=born,
        gender=draw(st.sampled_from(["MALE", "FEMALE", "UNKNOWN"])),
        marital_status=draw(st.sampled_from([None, "MARRIED", "SINGLE"])) if is_sub else None,
        tobacco_use=draw(st.booleans()),
        address=address,
        phone=draw(st.none() | st.just("+1 (502) 555-0111 x9") | carried(hostile_text, 0))
        if is_sub
        else None,
        email=draw(st.none() | st.emails() | hostile_text) if is_sub else None,
        employment=Employment(hire_date=date(2020, 1, 6)) if is_sub else None,
        coverage=coverage,
    )


@st.composite
def families(draw) -> list[Family]:
    out = []
    for number in range(1, draw(st.integers(1, 3)) + 1):
        ref = f"E-{number:03d}"
        sub = draw(people(ref, Relationship.SUBSCRIBER))
        deps = []
        if draw(st.booleans()):
            deps.append(draw(people(f"{ref}-S", Relationship.SPOUSE, sub)))
        for child in range(1, draw(st.integers(0, 2)) + 1):
            deps.append(draw(people(f"{ref}-C{child}", Relationship.CHILD, sub)))
        out.append(Family(subscriber=sub, dependents=tuple(deps)))
    return out


def _not_carried(value: str | None, element: str) -> bool:
    """The guide's clean-up would drop a letter of another script, or the element would cut it."""
    return bool(unsendable_characters(value)) or sent_length(value) > MAX_LENGTHS[element]


def empty_after_cleanup(fams: list[Family]) -> bool:
    """The writer's documented refusals: a last name, address line 1 or city cleaned to (almost) nothing;
    a name or address it cannot carry whole (PTL-001, PTL-003); a phone that is no NANP number (PTL-002)."""
    for family in fams:
        for m in (family.subscriber, *family.dependents):
            if not clean_text(m.last_name, MAX_LENGTHS["NM103"]):
                return True
            names = (
                (m.last_name, "NM103"),
                (m.first_name, "NM104"),
                (m.middle_name, "NM105"),
                (m.suffix, "NM107"),
            )
            if any(_not_carried(value, element) for value, element in names):
                return True
            if m.is_subscriber and m.phone and m.phone.strip() and nanp_phone(m.phone) is None:
                return True
            if m.address is not None and (
                not clean_text(m.address.line1, MAX_LENGTHS["N301"])
                or len(clean_text(m.address.city, MAX_LENGTHS["N401"])) < 2
                or _not_carried(m.address.line1, "N301")
                or _not_carried(m.address.line2, "N302")
                or _not_carried(m.address.city, "N401")
            ):
                return True
    return False


@SLOW
@given(fams=families(), employer=carried(name_text, 60))
def test_it_writes_any_names_without_a_delimiter_in_a_value_and_with_right_counts(fams, employer):
    counts = Counts(len(fams), sum(len(f.dependents) for f in fams))
    header = blue_heron_header(employer_legal_name=employer)
    out = io.StringIO()
    refused = empty_after_cleanup(fams) or not clean_text(employer) or _not_carried(employer, "N102")
    event("refused" if refused else "written")
    if refused:
        # Documented: the writer raises ValueError naming what cleaned to nothing, nothing else.
        with pytest.raises(ValueError, match="clean-up|after clean|PTL-00[123]|MBR-001|GRP-001"):
            write_834(out, blue_heron_envelope(), header, fams, counts=counts)
        return
    result = write_834(out, blue_heron_envelope(), header, fams, counts=counts)
    text = out.getvalue()
    assert text.isascii()

    parsed = parse_834(text)
    assert parsed.delimiters.element == "*" and parsed.delimiters.segment == "~"
    for seg in parsed.segments:
        if seg.id == "ISA":
            assert len(seg.elements) == 17
            continue
        for value in seg.elements:
            assert not DELIMITERS & set(value), (seg, value)
            assert "|" not in value and "\n" not in value and "\r" not in value
            assert value == value.upper()
    # Element counts of the segments whose free text could shift elements.
    for seg in parsed.all("NM1"):
        assert len(seg.elements) <= 10 and seg.element(1) == "IL" and seg.element(2) == "1"
    for seg in parsed.all("N3"):
        assert len(seg.elements) <= 3
    for seg in parsed.all("N4"):
        assert len(seg.elements) <= 7 and seg.element(2) == "KY"
    for seg in parsed.all("PER"):
        assert seg.element(1) == "IP" and len(seg.elements) in (5, 7)
    assert parsed.header.parties["P5"].element(3) == "FI"

    # SE01 = segments from ST to SE; QTY agrees with what is in the file.
    st_line = parsed.first("ST").line
    se = parsed.first("SE")
    assert int(se.element(1)) == se.line - st_line + 1 == result.segment_count
    members = parsed.members
    subs = sum(m.is_subscriber for m in members)
    assert parsed.header.quantities == {
        "ET": str(subs),
        "DT": str(len(members) - subs),
        "TO": str(len(members)),
    }
    assert (result.subscribers, result.dependents) == (counts.subscribers, counts.dependents)
    expected_refs = [m.member_ref for f in fams for m in (f.subscriber, *f.dependents)]
    assert sorted(m.member_ref for m in members) == sorted(expected_refs)
    # Cleaned names are what the file carries, whole (the writer refuses what it would have to cut).
    by_ref = {m.member_ref: m for f in fams for m in (f.subscriber, *f.dependents)}
    for pm in members:
        source = by_ref[pm.member_ref]
        assert pm.last_name == clean_text(source.last_name, MAX_LENGTHS["NM103"])
        assert pm.first_name == clean_text(source.first_name, MAX_LENGTHS["NM104"])
        if pm.is_subscriber and pm.email is not None:
            assert pm.email == clean_email(source.email)
    assert pyx12_issues(text) == []


@FAST
@given(last=st.text(alphabet=st.sampled_from("*~:^| 😀中\u0301\t"), max_size=20))
def test_it_refuses_a_name_that_cleans_to_nothing_with_a_value_error_naming_the_member(last):
    fams = [
        Family(
            subscriber=Member(
                member_ref="E-001",
                subscriber_ref="E-001",
                relationship=Relationship.SUBSCRIBER,
                first_name="Ann",
                last_name=last,
                date_of_birth=date(1980, 5, 2),
                gender="FEMALE",
                tobacco_use=False,
                address=Address(line1="1 Elm St", city="Louisville", state="KY", zip5="40202"),
                employment=Employment(hire_date=date(2020, 1, 6)),
                coverage=(Coverage(line=Line.MEDICAL, plan_id="12345KY0010001", tier=Tier.EMP),),
            )
        )
    ]
    out = io.StringIO()
    with pytest.raises(ValueError, match="E-001: (the )?last name"):
        write_834(out, blue_heron_envelope(), blue_heron_header(), fams, counts=Counts(1, 0))
    # The writer streams, so part of the loop may be out; what matters is that no trailer is.
    assert not [s for s in iter_segments(out.getvalue()) if s.id in ("SE", "GE", "IEA")]


@FAST
@given(
    fams=families(),
    extra=st.integers(1, 3),
)
def test_it_writes_no_trailers_when_the_counts_are_wrong(fams, extra):
    from groupsales.x12.writer import CountMismatchError

    plain = dict(last_name="LEE", first_name="ANN", middle_name=None, suffix=None)
    fams = [
        replace(
            f,
            dependents=tuple(replace(d, **plain, address=None) for d in f.dependents),
            subscriber=replace(
                f.subscriber,
                **plain,
                phone=None,
                address=Address(line1="1 ELM ST", city="LOUISVILLE", state="KY", zip5="40202"),
            ),
        )
        for f in fams
    ]
    wrong = Counts(len(fams), sum(len(f.dependents) for f in fams) + extra)
    out = io.StringIO()
    with pytest.raises(CountMismatchError):
        write_834(out, blue_heron_envelope(), blue_heron_header(), fams, counts=wrong)
    assert not [s for s in iter_segments(out.getvalue()) if s.id in ("SE", "GE", "IEA")]


def _sub(**changes) -> Member:
    values = dict(
        member_ref="E-001",
        subscriber_ref="E-001",
        relationship=Relationship.SUBSCRIBER,
        first_name="Ann",
        last_name="Lee",
        date_of_birth=date(1980, 5, 2),
        gender="FEMALE",
        tobacco_use=False,
        address=Address(line1="1 Elm St", city="Louisville", state="KY", zip5="40202"),
        employment=Employment(hire_date=date(2020, 1, 6)),
        coverage=(Coverage(line=Line.MEDICAL, plan_id="12345KY0010001", tier=Tier.EMP),),
    )
    values.update(changes)
    return Member(**values)


# Identifiers that look right to a careless regex: other scripts' digits, a trailing newline.
bad_digits = st.sampled_from(["12345678\u0669", "\uff11" * 9, "123456789\n", "4020\u0662", "40202\n"])


@FAST
@given(value=bad_digits, where=st.sampled_from(["ssn", "zip5", "member_ref"]))
def test_it_refuses_identifiers_with_foreign_digits_or_a_newline_naming_the_member(value, where):
    if where == "ssn":
        member = _sub(ssn=value)
    elif where == "zip5":
        member = _sub(address=Address(line1="1 Elm St", city="Louisville", state="KY", zip5=value))
    else:
        member = _sub(member_ref="E-001\n", subscriber_ref="E-001\n")
    out = io.StringIO()
    with pytest.raises(ValueError) as caught:
        write_834(
            out, blue_heron_envelope(), blue_heron_header(), [Family(subscriber=member)], counts=Counts(1, 0)
        )
    # The identifier check names the member; the sink's last-resort guard ("would break") never fires.
    assert "would break" not in str(caught.value)
    assert str(caught.value).startswith(("E-001", "'E-001"))


@FAST
@given(sender=bad_digits | st.sampled_from(["PARTNER01\n", "PARTNER\u0661"]))
def test_it_refuses_a_sender_id_with_a_newline_or_foreign_digits_before_writing(sender):
    out = io.StringIO()
    with pytest.raises(ValueError, match="sender/receiver IDs"):
        write_834(out, blue_heron_envelope(sender_id=sender), blue_heron_header(), [], counts=Counts(0, 0))
    assert out.getvalue() == ""


# --------------------------------------------------------------------------------------------------
# Quote engine (catalogue/quoting.py on the sample ETSS file)

QUOTE_ON = date(2027, 1, 1)
CENT_EXPONENT = -2
RELATIONSHIPS = [r.value for r in Relationship]


@pytest.fixture
def sample_catalogue(db, settings, tmp_path):
    from django.core.management import call_command

    settings.ETSS_ARCHIVE_DIR = tmp_path / "archive"
    call_command("import_etss", str(settings.SAMPLES_DIR / "HUM_ETSS_SG_KY_20261101_000001.txt"))


DEFECTS = ["none", "unborn", "bad_relationship", "bad_tier", "orphan", "duplicate", "dependent_as_sub"]


@st.composite
def censuses(draw) -> list:
    """A valid census (ages 0 to 100, tobacco, tiers, waivers, dependents), with at most one defect."""
    from catalogue.quoting import CensusRow

    def born(age: int) -> date:
        return QUOTE_ON - timedelta(days=age * 365 + draw(st.integers(0, 364)))

    rows = []
    for number in range(1, draw(st.integers(1, 6)) + 1):
        ref = f"E-{number}"
        tier = draw(st.sampled_from([*[t.value for t in Tier], "WAIVE"]))
        rows.append(
            CensusRow(
                ref,
                ref,
                "SUBSCRIBER",
                born(draw(st.integers(0, 100))),
                draw(st.sampled_from([None, True, False])),
                tier,
            )
        )
        for dep in range(draw(st.integers(0, 4))):
            rows.append(
                CensusRow(
                    f"{ref}-D{dep}",
                    ref,
                    draw(st.sampled_from(RELATIONSHIPS[1:])),
                    born(draw(st.integers(0, 100))),
                    draw(st.sampled_from([None, True, False])),
                )
            )
    defect = draw(st.sampled_from(DEFECTS * 1))
    if defect != "none" and draw(st.booleans()):
        at = draw(st.integers(0, len(rows) - 1))
        row = rows[at]
        if defect == "unborn":
            rows[at] = replace(row, date_of_birth=QUOTE_ON + timedelta(days=draw(st.integers(1, 800))))
        elif defect == "bad_relationship":
            rows[at] = replace(
                row, relationship=draw(st.sampled_from(["", "EMPLOYEE", "COUSIN", "subscriber"]))
            )
        elif defect == "bad_tier":
            rows[at] = replace(
                row,
                relationship="SUBSCRIBER",
                subscriber_ref=row.member_ref,
                coverage_tier=draw(st.sampled_from(["", "XYZ", "fam"])),
            )
        elif defect == "orphan":
            rows.append(CensusRow("X-1", "E-404", "CHILD", born(3)))
        elif defect == "duplicate":
            rows.append(row)
        elif defect == "dependent_as_sub":
            rows.append(CensusRow("X-2", rows[0].member_ref, "SUBSCRIBER", born(30), False, "EMP"))
    return rows


def _contribution_strategy():
    from groupsales.codes import ContributionBasis
    from groupsales.rating import Contribution

    percent = st.decimals(0, 100, places=2)
    flat = st.decimals(0, 2000, places=2)
    one = st.one_of(
        st.builds(Contribution, st.just(ContributionBasis.PERCENT), percent, percent),
        st.builds(Contribution, st.just(ContributionBasis.FLAT), flat, flat),
    )
    return st.none() | st.dictionaries(st.sampled_from([line.value for line in Line]), one, max_size=3)


def _is_money(amount: Decimal) -> bool:
    return amount.is_finite() and amount.as_tuple().exponent == CENT_EXPONENT


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(census=censuses(), composite=st.booleans(), contribution=_contribution_strategy())
def test_it_quotes_any_census_or_raises_quote_error_with_rule_ids(
    sample_catalogue, census, composite, contribution
):
    from catalogue.quoting import QuoteError, quote_census

    try:
        result = quote_census(
            zip5="40202",
            county_fips="21111",
            effective_date=QUOTE_ON,
            census=census,
            composite=composite,
            contributions=contribution,
        )
    except QuoteError as error:
        event("QuoteError")
        assert error.problems
        for ref, code, message in error.problems:
            assert isinstance(ref, str) and message
            assert code in {"MBR-003", "MBR-010", "MBR-020", "GRP-004", "GRP-030"}, code
        return
    event("quoted")
    assert result.plans
    elected = {r.member_ref for r in census if r.relationship == "SUBSCRIBER" and r.coverage_tier != "WAIVE"}
    assert result.families == len(elected)
    for plan in result.plans:
        price = plan.price
        assert set(price.families) == elected
        assert _is_money(price.total_monthly_premium)
        assert price.total_monthly_premium == sum(f.total for f in price.families.values())
        for family in price.families.values():
            assert _is_money(family.total) and family.total > 0
            if price.employer_monthly_contribution is None:
                assert family.employer is None and family.employee is None
            else:
                assert _is_money(family.employer) and _is_money(family.employee)
                assert family.employer >= 0 and family.employee >= 0
                assert family.employer + family.employee == family.total
        if price.employer_monthly_contribution is not None:
            assert price.employer_monthly_contribution == sum(f.employer for f in price.families.values())
            assert (
                price.employer_monthly_contribution + price.employee_monthly_cost
                == price.total_monthly_premium
            )
        if price.members is not None:
            assert all(_is_money(m.monthly_premium) and m.monthly_premium >= 0 for m in price.members)
            assert _is_money(price.member_total)
            if price.rating_method == "AGE":
                assert price.member_total == price.total_monthly_premium
        if price.tier_rates is not None:
            assert all(_is_money(rate) and rate > 0 for rate in price.tier_rates.values())


@FAST
@given(days_after=st.integers(1, 400))
def test_it_refuses_a_member_born_after_the_effective_date_with_quote_error(sample_catalogue, days_after):
    from catalogue.quoting import CensusRow, QuoteError, quote_census

    census = [
        CensusRow("E-1", "E-1", "SUBSCRIBER", date(1980, 1, 1), False, "ECH"),
        CensusRow("E-1-C1", "E-1", "CHILD", QUOTE_ON + timedelta(days=days_after)),
    ]
    with pytest.raises(QuoteError) as caught:
        quote_census(zip5="40202", county_fips="21111", effective_date=QUOTE_ON, census=census)
    assert [(ref, code) for ref, code, _ in caught.value.problems] == [("E-1-C1", "MBR-003")]


# --------------------------------------------------------------------------------------------------
# Census importer (enrollment/census_import.py)

CENSUS_HEADER = ["memberRef", "subscriberRef", "relationship", "dateOfBirth", "tobaccoUse", "coverageTier"]
FORMULA_START = ("=", "+", "-", "@")
cell = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "E-001",
            "e-002",
            "SUBSCRIBER",
            "child",
            "1980-05-02",
            "05/02/1980",
            "\u0661\u0669\u0668\u0660-\u0660\u0665-\u0660\u0662",
            "true",
            "FAM",
            "WAIVE",
            "=1+1",
            '=HYPERLINK("http://evil.example","x")',
            "+1",
            "-E1",
            "@SUM(A1)",
            "40202",
            "\u0664\u0660\u0662\u0660\u0662",
            "",
        ]
    ),
)
header_row = st.one_of(
    st.just(CENSUS_HEADER),
    st.permutations(CENSUS_HEADER + ["gender", "zip5", "isOwner"]).map(list),
    st.lists(st.text(max_size=15), max_size=8),
)


def assert_well_formed(rows: list[dict], errors: list) -> None:
    from enrollment.census_import import RowError
    from enrollment.models import CensusMember

    assert isinstance(rows, list) and isinstance(errors, list)
    for error in errors:
        assert isinstance(error, RowError)
        assert error.line >= 0 and error.message and error.fix
    assert errors == sorted(errors, key=lambda e: e.line)
    refs = [r["member_ref"] for r in rows]
    assert len(refs) == len(set(refs))
    subscribers = {r["member_ref"] for r in rows if r["relationship"] == "SUBSCRIBER"}
    for row in rows:
        assert row["relationship"] in CensusMember.Relationship.values
        assert isinstance(row["date_of_birth"], date)
        assert row["subscriber_ref"] in subscribers
        if row["relationship"] == "SUBSCRIBER":
            assert row["subscriber_ref"] == row["member_ref"]
            assert row["coverage_tier"] in CensusMember.Tier.values
        for field in ("member_ref", "subscriber_ref", "gender", "zip5", "coverage_tier"):
            value = row[field]
            assert isinstance(value, str) and value.isascii(), (field, value)
            # Nothing stored could become a spreadsheet formula when the census is exported.
            assert not value.startswith(FORMULA_START), (field, value)
        assert row["zip5"] == "" or (len(row["zip5"]) == 5 and row["zip5"].isdigit())


@FAST
@given(content=st.binary(max_size=2000), name=st.sampled_from(["c.csv", "c.xlsx", "c.CSV", "c.txt", "c"]))
def test_it_turns_any_bytes_into_rows_and_errors_never_an_exception(content, name):
    from enrollment.census_import import parse_census

    rows, errors = parse_census(name=name, content=content)
    assert_well_formed(rows, errors)


@FAST
@given(text=st.text(max_size=2000), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_it_turns_any_text_into_rows_and_errors_never_an_exception(text, encoding):
    from enrollment.census_import import parse_census

    rows, errors = parse_census(
        name="census.csv", content=(",".join(CENSUS_HEADER) + "\n" + text).encode(encoding)
    )
    assert_well_formed(rows, errors)


@FAST
@given(header=header_row, body=st.lists(st.lists(cell, max_size=9), max_size=25))
def test_it_reads_any_csv_rows_into_valid_rows_or_per_row_errors(header, body):
    import csv

    from enrollment.census_import import parse_census

    out = io.StringIO()
    csv.writer(out).writerows([header, *body])
    rows, errors = parse_census(name="census.csv", content=out.getvalue().encode())
    assert_well_formed(rows, errors)
    # Every non-blank data row is either kept or named by an error (or cut by the row limit).
    blank = sum(1 for r in body if not any(str(v).strip() for v in r[: len(header)]))
    lines_with_errors = {e.line for e in errors}
    if 0 in lines_with_errors:  # the whole file was refused (binary data): one error, no rows
        assert rows == [] and len(errors) == 1
    elif header == CENSUS_HEADER:
        assert len(rows) + len(lines_with_errors) >= len(body) - blank


@FAST
@given(
    members=st.lists(
        st.tuples(
            st.sampled_from(["SUBSCRIBER", "SPOUSE", "CHILD"]),
            st.dates(date(1920, 1, 1), date(2026, 1, 1)),
            st.booleans(),
            st.sampled_from(["EMP", "ESP", "ECH", "FAM", "WAIVE"]),
        ),
        min_size=1,
        max_size=20,
    ),
    xlsx=st.booleans(),
)
def test_it_keeps_every_valid_row_of_a_valid_census(members, xlsx):
    from enrollment.census_import import parse_census

    table = [CENSUS_HEADER]
    current = None
    expected = []
    for index, (relationship, born, tobacco, tier) in enumerate(members):
        if relationship == "SUBSCRIBER" or current is None:
            relationship, current = "SUBSCRIBER", f"E-{index}"
            ref = current
        else:
            ref = f"{current}-D{index}"
        table.append([ref, current, relationship, born.isoformat(), "yes" if tobacco else "no",
                      tier if relationship == "SUBSCRIBER" else ""])  # fmt: skip
        expected.append(ref)
    if xlsx:
        from openpyxl import Workbook

        book = Workbook()
        for row in table:
            book.active.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        content, name = buffer.getvalue(), "census.xlsx"
    else:
        content, name = "\n".join(",".join(r) for r in table).encode(), "census.csv"
    rows, errors = parse_census(name=name, content=content)
    assert errors == []
    assert [r["member_ref"] for r in rows] == expected
    assert_well_formed(rows, errors)


@st.composite
def near_valid_census(draw) -> list[list[str]]:
    """A valid census in which some cells are replaced by hostile ones (formulas, other scripts' digits)."""
    table = [list(CENSUS_HEADER) + ["gender", "zip5"]]
    for number in range(1, draw(st.integers(1, 5)) + 1):
        ref = f"E-{number}"
        table.append([ref, ref, "SUBSCRIBER", "1980-05-02", "no", "FAM", "F", "40202"])
        for dep in range(draw(st.integers(0, 2))):
            table.append([f"{ref}-C{dep}", ref, "CHILD", "2015-01-01", "", "", "M", ""])
    for _ in range(draw(st.integers(1, 4))):
        row = draw(st.integers(1, len(table) - 1))
        column = draw(st.integers(0, len(table[0]) - 1))
        table[row][column] = draw(cell)
    return table


@FAST
@given(table=near_valid_census())
def test_it_never_keeps_a_hostile_cell_in_a_stored_row(table):
    import csv

    from enrollment.census_import import parse_census

    out = io.StringIO()
    csv.writer(out).writerows(table)
    rows, errors = parse_census(name="census.csv", content=out.getvalue().encode())
    assert_well_formed(rows, errors)


# --------------------------------------------------------------------------------------------------
# Rating arithmetic (groupsales.rating.price_plan) with rate tables Hypothesis builds

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000.00"), places=2)


@st.composite
def rating_families(draw) -> list:
    from groupsales.rating import CoveredPerson
    from groupsales.rating import Family as RatedFamily

    out = []
    for number in range(1, draw(st.integers(1, 8)) + 1):
        ref = f"E-{number}"
        sub = CoveredPerson(
            ref, Relationship.SUBSCRIBER, QUOTE_ON - timedelta(days=draw(st.integers(0, 100 * 365))),
            draw(st.sampled_from([None, True, False])),
        )  # fmt: skip
        deps = tuple(
            CoveredPerson(
                f"{ref}-D{i}",
                draw(st.sampled_from(list(Relationship)[1:])),
                QUOTE_ON - timedelta(days=draw(st.integers(0, 100 * 365))),
                draw(st.sampled_from([None, True])),
            )  # fmt: skip
            for i in range(draw(st.integers(0, 5)))
        )
        out.append(RatedFamily(sub, deps, draw(st.sampled_from(list(Tier)))))
    return out


@FAST
@given(
    fams=rating_families(),
    rates=st.lists(st.tuples(money, st.none() | money), min_size=51, max_size=51),
    tier_rates=st.fixed_dictionaries({tier: money for tier in Tier}),
    method=st.sampled_from(["AGE", "COMPOSITE", "TIER"]),
    factors=st.none()
    | st.fixed_dictionaries({t: st.decimals(Decimal("0.5"), Decimal("4"), places=3) for t in Tier}),
    max_children=st.none() | st.integers(0, 4),
    contribution=_contribution_strategy().map(lambda d: None if not d else next(iter(d.values()))),
)
def test_it_prices_any_families_with_cents_that_add_up(
    fams, rates, tier_rates, method, factors, max_children, contribution
):
    from groupsales.codes import RatingOption
    from groupsales.etss import AGE_BANDS
    from groupsales.rating import AgeRates, PlanTerms, TierRates, price_plan

    terms = PlanTerms(
        plan_id="12345KY0010001", line=Line.MEDICAL, rating_method="TIER" if method == "TIER" else "AGE",
        tobacco_rated=True, composite_allowed=True, max_children_u21=max_children,
    )  # fmt: skip
    price = price_plan(
        terms,
        families=fams,
        effective_date=QUOTE_ON,
        age_rates=AgeRates(dict(zip(AGE_BANDS, rates, strict=True))),
        tier_rates=TierRates(tier_rates),
        rating_option=RatingOption.COMPOSITE if method == "COMPOSITE" else RatingOption.AGE,
        composite_factors=factors,
        contribution=contribution,
    )
    assert price.rating_method == method
    assert _is_money(price.total_monthly_premium)
    assert price.total_monthly_premium == sum(f.total for f in price.families.values())
    assert set(price.families) == {f.subscriber.member_ref for f in fams}
    for family in price.families.values():
        assert _is_money(family.total) and family.total > 0
        if contribution is not None:
            assert _is_money(family.employer) and _is_money(family.employee)
            assert family.employer >= 0 and family.employee >= 0
            assert family.employer + family.employee == family.total
    if contribution is not None:
        assert (
            price.employer_monthly_contribution + price.employee_monthly_cost == price.total_monthly_premium
        )
    if method != "TIER":
        assert all(_is_money(m.monthly_premium) for m in price.members)
        assert price.member_total == sum(m.monthly_premium for m in price.members)
    if method == "COMPOSITE":
        # Each tier rate is rounded once: the composite total is within half a cent per family.
        assert abs(price.total_monthly_premium - price.member_total) <= Decimal("0.005") * len(fams)
